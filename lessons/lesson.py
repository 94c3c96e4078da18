"""What every lesson's Python twin shares: say() and its two options (lessons/lesson.h is the C
side). A twin imports it from the folder above its own:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from lesson import options, say
"""

import argparse


def say(line):
    """Print one line in one write. print() writes its text and its end separately when stdout
    is unbuffered (python3 -u, PYTHONUNBUFFERED=1), and the other process's line could land in
    between; flush at once, so that nothing waits in a buffer that fork would copy."""
    print(line + "\n", end="", flush=True)


def options(doc, interval, count, interval_help, count_help):
    """The lesson's --interval and --count, with the C program's defaults; doc is the script's
    __doc__, whose first line describes it in --help."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument('--interval', type=float, default=interval, metavar='SECONDS',
                        help='%s (default %g)' % (interval_help, interval))
    parser.add_argument('--count', type=int, default=count, metavar='N',
                        help='%s (default %d)' % (count_help, count))
    return parser.parse_args()
