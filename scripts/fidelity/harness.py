"""The check runner every Python fidelity harness shares (scripts/fidelity/<operator>/*_check.py
put this folder on sys.path): one line per check (`ok name`, `FAIL name: why`, `skip name`),
failures counted, never fatal. MTN_FIDELITY_SKIP, ORANGE_FIDELITY_SKIP, WAVE_FIDELITY_SKIP,
MPESA_FIDELITY_SKIP or PROXYPAY_FIDELITY_SKIP (comma-separated check-name prefixes) skips checks."""
import os

SKIP = [
    s.strip()
    for var in ("MTN_FIDELITY_SKIP", "ORANGE_FIDELITY_SKIP", "WAVE_FIDELITY_SKIP",
                "MPESA_FIDELITY_SKIP", "PROXYPAY_FIDELITY_SKIP")
    for s in os.environ.get(var, "").split(",")
    if s.strip()
]
failures = 0


class CheckError(Exception):
    pass


def expect(cond, why):
    if not cond:
        raise CheckError(why)


def check(name, fn):
    """Run one check; print its line; never raise."""
    global failures
    if any(name.startswith(p) for p in SKIP):
        print(f"skip {name}", flush=True)
        return None
    try:
        result = fn()
    except Exception as exc:  # noqa: BLE001 - every failure is reported, never fatal
        failures += 1
        print(f"FAIL {name}: {type(exc).__name__}: {exc}", flush=True)
        return None
    print(f"ok {name}", flush=True)
    return result


def summary(label):
    """The last line, and the exit status."""
    print(f"{label}: {'FAILED' if failures else 'passed'} ({failures} failure(s))", flush=True)
    return 1 if failures else 0
