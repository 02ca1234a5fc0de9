"""The store: the one place that opens a database, runs SQL or spells a statement out.

``schema`` lays out the index (written once) and maps an Article to a row; ``index``
is the open index (falling back to memory when its file cannot be used) and its own
reads; ``writes`` what the refresh stores and the full-text index's first fill;
``reads`` every other read (reports, stories, the reader's list, hints, completion);
``stories`` the stories' tables; ``state`` the state database (arrivals, seen marks);
``cache`` the index files in the cache dir; ``export`` the SQLite export's file;
``transactions`` the write transaction; ``sqlfunctions`` the SQL functions every
connection gets. Other modules hand the store conditions and orders over
``articles AS a`` (what the query layer compiles), with their parameters.
"""
