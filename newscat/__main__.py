from newscat.entry import main

main()
