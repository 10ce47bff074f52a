"""Synthetic HPO benchmark functions with known optima.

Copied from the peers' shared benchmark suite (``functions.py``; only two loop variables renamed for
the linter) so that raysweep's search quality is measured on exactly the peers' problems.
Definitions and optima follow the SFU Virtual Library of Simulation Experiments (Surjanovic & Bingham, https://www.sfu.ca/~ssurjano/optimization.html).
"""
import numpy as np


def branin(x):
    x1, x2 = x[0], x[1]
    a, b, c = 1.0, 5.1 / (4 * np.pi ** 2), 5 / np.pi
    r, s, t = 6.0, 10.0, 1 / (8 * np.pi)
    return a * (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * np.cos(x1) + s


_H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8],
                  [0.05, 10, 17, 0.1, 8, 14],
                  [3, 3.5, 1.7, 10, 17, 8],
                  [17, 8, 0.05, 10, 0.1, 14]], dtype=float)
_H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886],
                         [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650],
                         [4047, 8828, 8732, 5743, 1091, 381]], dtype=float)
_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])

_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array([[3689, 1170, 2673], [4699, 4387, 7470],
                         [1091, 8732, 5547], [381, 5743, 8828]], dtype=float)


def hartmann6(x):
    x = np.asarray(x, dtype=float)
    return -float(np.sum(_H_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


def hartmann3(x):
    x = np.asarray(x, dtype=float)
    return -float(np.sum(_H_ALPHA * np.exp(-np.sum(_H3_A * (x - _H3_P) ** 2, axis=1))))


def rosenbrock(x):
    x = np.asarray(x, dtype=float)
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def ackley(x):
    x = np.asarray(x, dtype=float)
    d = len(x)
    a, b, c = 20.0, 0.2, 2 * np.pi
    return float(-a * np.exp(-b * np.sqrt(np.sum(x ** 2) / d))
                 - np.exp(np.sum(np.cos(c * x)) / d) + a + np.e)


def levy(x):
    x = np.asarray(x, dtype=float)
    w = 1 + (x - 1) / 4
    t1 = np.sin(np.pi * w[0]) ** 2
    t2 = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:-1] + 1) ** 2))
    t3 = (w[-1] - 1) ** 2 * (1 + np.sin(2 * np.pi * w[-1]) ** 2)
    return float(t1 + t2 + t3)


# name -> (function, lower bounds, upper bounds, known minimum value, a minimiser)
PROBLEMS = {
    "branin": (branin, [-5.0, 0.0], [10.0, 15.0], 0.397887357729739, [np.pi, 2.275]),
    "hartmann6": (hartmann6, [0.0] * 6, [1.0] * 6, -3.32236801141551,
                  [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]),
    "rosenbrock4": (rosenbrock, [-5.0] * 4, [10.0] * 4, 0.0, [1.0] * 4),
    "ackley5": (ackley, [-32.768] * 5, [32.768] * 5, 0.0, [0.0] * 5),
    # not in the measured grid, kept for completeness / sanity checks
    "hartmann3": (hartmann3, [0.0] * 3, [1.0] * 3, -3.86278214782076,
                  [0.114614, 0.555649, 0.852547]),
    "levy5": (levy, [-10.0] * 5, [10.0] * 5, 0.0, [1.0] * 5),
}


# Two-objective test problems (both objectives minimised), with their known Pareto fronts.
# ZDT1 and ZDT2: Zitzler, Deb & Thiele (2000); DTLZ2: Deb, Thiele, Laumanns & Zitzler (2002), here
# with M = 2 objectives and k = n_vars - 1 distance variables. Every variable lies in [0, 1].


def zdt1(x):
    x = np.asarray(x, dtype=float)
    g = 1.0 + 9.0 * float(np.mean(x[1:]))
    return float(x[0]), float(g * (1.0 - np.sqrt(x[0] / g)))


def zdt2(x):
    x = np.asarray(x, dtype=float)
    g = 1.0 + 9.0 * float(np.mean(x[1:]))
    return float(x[0]), float(g * (1.0 - (x[0] / g) ** 2))


def dtlz2(x):
    x = np.asarray(x, dtype=float)
    g = float(np.sum((x[1:] - 0.5) ** 2))
    angle = x[0] * np.pi / 2
    return float((1.0 + g) * np.cos(angle)), float((1.0 + g) * np.sin(angle))


def zdt1_front(n=100):
    """n points of ZDT1's Pareto front (g = 1): f2 = 1 - sqrt(f1), f1 in [0, 1]."""
    f1 = np.linspace(0.0, 1.0, n)
    return np.column_stack([f1, 1.0 - np.sqrt(f1)])


def zdt2_front(n=100):
    """n points of ZDT2's Pareto front (g = 1): f2 = 1 - f1**2, f1 in [0, 1]."""
    f1 = np.linspace(0.0, 1.0, n)
    return np.column_stack([f1, 1.0 - f1 ** 2])


def dtlz2_front(n=100):
    """n points of DTLZ2's Pareto front (g = 0): the quarter of the unit circle."""
    angle = np.linspace(0.0, np.pi / 2, n)
    return np.column_stack([np.cos(angle), np.sin(angle)])


def _front_hv(area_under, reference):
    """Hypervolume of a front from (0, 1) to (1, 0) whose region between the axes and the front
    has area ``area_under``, for a reference point at or beyond the front's nadir (1, 1):
    the box [0, r1] x [0, r2] minus that region."""
    r1, r2 = float(reference[0]), float(reference[1])
    if r1 < 1.0 or r2 < 1.0:
        raise ValueError(f"the closed form needs a reference point >= (1, 1); got {reference}")
    return r1 * r2 - area_under


def zdt1_hypervolume(reference=(1.0, 1.0)):
    """ZDT1's true front: the area under 1 - sqrt(f1) is 1/3 (2/3 at reference (1, 1))."""
    return _front_hv(1.0 / 3.0, reference)


def zdt2_hypervolume(reference=(1.0, 1.0)):
    """ZDT2's true front: the area under 1 - f1**2 is 2/3 (1/3 at reference (1, 1))."""
    return _front_hv(2.0 / 3.0, reference)


def dtlz2_hypervolume(reference=(1.0, 1.0)):
    """DTLZ2's true front: the quarter disc has area pi/4 (1 - pi/4 at reference (1, 1))."""
    return _front_hv(np.pi / 4, reference)


# name -> (function x -> (f1, f2), number of variables, front(n), hypervolume(reference),
#          worst point of the domain (f1, f2): each objective's largest value over [0, 1]^n)
MO_PROBLEMS = {
    "zdt1": (zdt1, 30, zdt1_front, zdt1_hypervolume, (1.0, 10.0)),
    "zdt2": (zdt2, 30, zdt2_front, zdt2_hypervolume, (1.0, 10.0)),
    "dtlz2": (dtlz2, 11, dtlz2_front, dtlz2_hypervolume, (1.0 + 10 * 0.25, 1.0 + 10 * 0.25)),
}

if __name__ == "__main__":
    for name, (f, _lo, _hi, fmin, xstar) in PROBLEMS.items():
        print(f"{name:12s} f(x*)={f(np.array(xstar)):.6f} known={fmin:.6f}")
    for name, (_f, _n, _front, hv, worst) in MO_PROBLEMS.items():
        print(f"{name:12s} true-front HV at (1, 1) = {hv((1.0, 1.0)):.6f}; worst point {worst}")
