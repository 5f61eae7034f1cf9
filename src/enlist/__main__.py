"""`python -m enlist`: the same command as the `enlist` console script."""

from enlist.cli import main

if __name__ == "__main__":
    main()
