"""invert.sparsecode: the non-negative lasso is solved exactly (support,
optimality conditions, against plain projected gradient), the dictionary
update never increases the objective and equals one-atom-at-a-time block
coordinate descent, and online learning lowers the objective."""
import numpy
import pytest

from invert.sparsecode import (code, kkt_violation, lasso, learn_dictionary, objective,
                               update_dictionary)


def unit_columns(rng, d, k):
    D = rng.standard_normal((d, k))
    return D / numpy.linalg.norm(D, axis=0)


def sparse_codes(rng, k, n, nonzeros):
    A = numpy.zeros((k, n))
    for i in range(n):
        A[rng.choice(k, nonzeros, replace=False), i] = rng.uniform(1.0, 2.0, nonzeros)
    return A


def projected_gradient(D, x, lambda_, iters=3000):
    """The plain reference: a <- max(0, a - (D^T (D a - x) + lambda) / L)."""
    L = numpy.linalg.eigvalsh(D.T @ D)[-1]
    a = numpy.zeros(D.shape[1])
    for _ in range(iters):
        a = numpy.maximum(a - (D.T @ (D @ a - x) + lambda_) / L, 0)
    return a


def test_lasso_recovers_a_known_sparse_support():
    rng = numpy.random.default_rng(0)
    D = unit_columns(rng, 60, 150)
    A = sparse_codes(rng, 150, 40, 4)
    lambda_ = 0.01
    Ahat, steps = code(D, D @ A, lambda_)
    assert ((Ahat > 0) == (A > 0)).all()                      # the support, exactly
    # NOTE: on the support, a = A - lambda (D_S^T D_S)^-1 1: a shift of order lambda
    assert numpy.abs(Ahat - A).max() < 10 * lambda_
    assert kkt_violation(D.T @ D, D.T @ (D @ A), Ahat, lambda_).max() < 1e-8
    assert 4 <= steps.min() and steps.max() <= 8


def test_lasso_is_the_optimum_of_the_nonnegative_problem():
    rng = numpy.random.default_rng(1)
    D = unit_columns(rng, 40, 30)   # NOTE: D^T D definite, so the reference converges fast
    X = rng.standard_normal((40, 6))            # no sparse truth: many atoms compete
    lambda_ = 0.3
    A, _ = code(D, X, lambda_)
    assert (A >= 0).all() and (A > 0).any() and (A == 0).any()
    assert kkt_violation(D.T @ D, D.T @ X, A, lambda_).max() < 1e-8
    for i in range(X.shape[1]):
        ref = projected_gradient(D, X[:, i], lambda_)
        assert numpy.abs(A[:, i] - ref).max() < 1e-6
    assert objective(X, D, A, lambda_) <= objective(X, D, A + 0.01 * (A > 0), lambda_)


def test_lasso_codes_nothing_when_lambda_dominates_and_refuses_a_bad_lambda():
    rng = numpy.random.default_rng(2)
    D = unit_columns(rng, 10, 20)
    x = rng.standard_normal((10, 1))
    big = float((D.T @ x).max()) + 1e-3      # above every correlation: a = 0 is optimal
    assert not code(D, x, big)[0].any()
    with pytest.raises(ValueError, match="lambda must be positive"):
        lasso(D.T @ D, D.T @ x, 0.0)


def one_atom_at_a_time(D, AA, XA):
    """Mairal et al. 2010, Algorithm 2, written plainly."""
    D = numpy.array(D)
    for j in range(D.shape[1]):
        if AA[j, j] > 0:
            u = D[:, j] + (XA[:, j] - D @ AA[:, j]) / AA[j, j]
            D[:, j] = u / max(numpy.linalg.norm(u), 1.0)
    return D


def test_the_dictionary_update_decreases_the_objective():
    rng = numpy.random.default_rng(3)
    D0 = unit_columns(rng, 40, 70)
    X = D0 @ sparse_codes(rng, 70, 150, 3) + 0.05 * rng.standard_normal((40, 150))
    D = unit_columns(rng, 40, 70)                      # a wrong dictionary
    lambda_ = 0.05
    A, _ = code(D, X, lambda_)
    A[5] = 0                                           # atom 5 unused: it must stay
    AA, XA = A @ A.T, X @ A.T
    before = objective(X, D, A, lambda_)
    new = update_dictionary(D, AA, XA, block=16)
    assert numpy.abs(new - one_atom_at_a_time(D, AA, XA)).max() < 1e-12
    assert (new[:, 5] == D[:, 5]).all()
    assert (numpy.linalg.norm(new, axis=0) <= 1 + 1e-12).all()
    after = objective(X, D=new, A=A, lambda_=lambda_)
    assert after < 0.9 * before                                 # a real decrease
    again = objective(X, update_dictionary(new, AA, XA), A, lambda_)
    assert again <= after + 1e-12                               # and never an increase


@pytest.mark.slow
def test_online_learning_lowers_the_objective_and_is_seeded():
    rng = numpy.random.default_rng(4)
    truth = unit_columns(rng, 30, 20)
    X = (truth @ sparse_codes(rng, 20, 600, 2)).T + 0.01 * rng.standard_normal((600, 30))
    lambda_ = 0.05
    D, losses = learn_dictionary(X, 20, lambda_, numpy.random.default_rng(0), epochs=2,
                                 batch=100)
    assert len(losses) == 12 and losses[-1] < 0.5 * losses[0]
    assert (numpy.linalg.norm(D, axis=0) <= 1 + 1e-6).all()
    start = X[numpy.random.default_rng(0).choice(600, 20, replace=False)].T
    start = start / numpy.linalg.norm(start, axis=0)
    full = lambda D: objective(X.T, D, code(D, X.T, lambda_)[0], lambda_)  # noqa: E731
    assert full(D) < 0.5 * full(start)          # better than the rows it started from
    again, _ = learn_dictionary(X, 20, lambda_, numpy.random.default_rng(0), epochs=2,
                                batch=100)
    assert (again == D).all()
