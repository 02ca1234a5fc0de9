from newscat.cli import main

main()
