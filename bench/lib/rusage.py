# Runs a command N times and prints, per run, its wall time and peak RSS (wait4's rusage): the bench's stopwatch.
#
#   python3 bench/lib/rusage.py [--repeat N] [--stdout FILE] [--stderr FILE] -- COMMAND [ARGS...]
#
# Prints one JSON object: {"runs": [{"wall": s, "user": s, "sys": s, "maxrss_kb": kb, "code": n}, ...]}.
# Timing happens here, between posix_spawn and wait4, so neither Node's nor Python's start-up is counted.
import json
import os
import sys
import time


def run_once(argv, stdout_path, stderr_path):
    out = os.open(stdout_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    err = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644) if stderr_path else -1
    actions = [(os.POSIX_SPAWN_DUP2, out, 1)]
    if err >= 0:
        actions.append((os.POSIX_SPAWN_DUP2, err, 2))
    start = time.perf_counter()
    # Linux counts the memory a child had before exec in its ru_maxrss: here that is this Python process's (about
    # 13 MiB, the floor of every figure). Commands that use more (node) are measured exactly; smaller ones are not.
    try:
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
    except OSError as e:
        sys.stderr.write(f"rusage.py: cannot run {argv[0]}: {e}\n")
        return {"wall": 0.0, "user": 0.0, "sys": 0.0, "maxrss_kb": 0, "code": 127}
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    os.close(out)
    if err >= 0:
        os.close(err)
    return {
        "wall": wall,
        "user": usage.ru_utime,
        "sys": usage.ru_stime,
        "maxrss_kb": usage.ru_maxrss,
        "code": os.waitstatus_to_exitcode(status),
    }


def main():
    args = sys.argv[1:]
    repeat, stdout_path, stderr_path = 1, os.devnull, None
    while args and args[0] != "--":
        if args[0] == "--repeat":
            repeat = int(args[1])
            args = args[2:]
        elif args[0] == "--stderr":
            stderr_path = args[1]
            args = args[2:]
        elif args[0] == "--stdout":
            stdout_path = args[1]
            args = args[2:]
        else:
            sys.exit(f"rusage.py: unknown option {args[0]}")
    argv = args[1:]
    if not argv:
        sys.exit("rusage.py: no command")
    runs = [run_once(argv, stdout_path, stderr_path) for _ in range(repeat)]
    print(json.dumps({"runs": runs}))


main()
