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


if __name__ == "__main__":
    for name, (f, _lo, _hi, fmin, xstar) in PROBLEMS.items():
        print(f"{name:12s} f(x*)={f(np.array(xstar)):.6f} known={fmin:.6f}")
