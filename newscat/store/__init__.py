"""The store: the SQLite schema and every statement newscat runs.

``schema`` lays out the index (written once); ``index`` is the open index (falling
back to memory when its file cannot be used) and its reads; ``writes`` holds what
the refresh writes; ``reads`` the reports' and completion's reads; ``stories`` the
stories' tables; ``state`` the state database (arrivals, seen marks);
``sqlfunctions`` the SQL functions every connection gets. Nothing outside this
package runs a statement or spells one out.
"""
