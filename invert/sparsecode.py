"""Sparse coding and dictionary learning in NumPy: the two halves of the
alternating minimisation that HOGgle's paired dictionary is learned with
(module ``hoggle``).

The problem (Mairal, Bach, Ponce & Sapiro, "Online Learning for Matrix
Factorization and Sparse Coding", JMLR 2010, eq. 2 and 4; with the
non-negative codes that HOGgle's training asks SPAMS for, ``posAlpha``):

    min_{D, A >= 0}  1/n sum_i  1/2 ||x_i - D a_i||^2 + lambda ||a_i||_1,
    subject to ||d_j|| <= 1 for every column (atom) d_j of D.

Shapes: signals X (d, n) as columns, dictionary D (d, K), codes A (K, n).

``lasso(gram, corr, lambda_)``: the codes for a fixed D (the convex half),
exactly. With G = D^T D and c = D^T x, and a >= 0 so that ||a||_1 = 1^T a,

    1/2 ||x - D a||^2 + lambda ||a||_1 = 1/2 a^T G a - (c - lambda)^T a + const,

a non-negative least-squares problem in Gram form, solved by the active-set
method of Lawson & Hanson ("Solving Least Squares Problems", 1974, ch. 23)
as Bro & De Jong write it with G and c precomputed ("A fast non-negativity-
constrained least squares algorithm", J. Chemometrics 1997). For one
column, with b = c - lambda and w = b - G a (minus the gradient):

    P = {} (the atoms in use), a = 0
    while some j outside P has w_j > tol:
        add the j with the largest w_j to P
        s = G_PP^-1 b_P                        # least squares on P
        while some s_j <= 0:                   # step back inside a >= 0
            a_P += alpha (s - a_P), the largest alpha in [0, 1] keeping a_P >= 0
            drop from P the atoms a reaches 0 on; s = G_PP^-1 b_P
        a_P = s

It stops at the exact optimum (w_j = 0 on P, w_j <= tol off it: the
optimality conditions of the lasso, ``kkt_violation``), after about as many
steps as atoms in the code: some 20 of HOGgle's 1024, where a first-order
method (ISTA/FISTA) needs hundreds of (K, K) x (K, n) products to approach
it. Each step costs a solve of |P| unknowns and one |P| x K product.

``update_dictionary(D, AA, XA)``: the atoms for fixed codes (the other
half), by one pass of block-coordinate descent over the columns on the
quadratic surrogate (Mairal et al. 2010, Algorithm 2), with AA = sum_i a_i
a_i^T (K, K) and XA = sum_i x_i a_i^T (d, K):

    u_j = d_j + (xa_j - D aa_j) / AA_jj,      d_j = u_j / max(||u_j||, 1)

Each step minimises 1/2 ||X - D A||^2 exactly over d_j in the unit ball, so
a pass never increases the objective; atoms with AA_jj = 0 (unused) stay.

``learn_dictionary``: the online loop that alternates the two (Mairal et
al. 2010, Algorithm 1, with mini-batches).
"""
import numpy


def objective(X, D, A, lambda_):
    """1/n sum_i 1/2 ||x_i - D a_i||^2 + lambda ||a_i||_1."""
    r = X - D @ A
    return float((0.5 * (r * r).sum() + lambda_ * numpy.abs(A).sum()) / X.shape[1])


def kkt_violation(gram, corr, A, lambda_):
    """How far codes A (K, n) are from optimal, per column, in units of
    lambda: with g = c - G a (minus the gradient of the fit), a solution has
    g_j = lambda where a_j > 0 and g_j <= lambda where a_j = 0."""
    g = corr - gram @ A
    off = numpy.where(A > 0, numpy.abs(g - lambda_), numpy.maximum(g - lambda_, 0))
    return off.max(axis=0) / lambda_


def lasso(gram, corr, lambda_, tol=1e-9):
    """Non-negative lasso codes A (K, n) of every column (module docstring):
    argmin_{a >= 0} 1/2 ||x - D a||^2 + lambda ||a||_1 from ``gram`` = D^T D
    and ``corr`` = D^T X. Returns (A in corr's dtype, steps per column)."""
    if not lambda_ > 0:
        raise ValueError(f"lasso: lambda must be positive, got {lambda_}")
    G = numpy.asarray(gram, numpy.float64)
    B = numpy.asarray(corr, numpy.float64) - lambda_
    A = numpy.zeros(B.shape)
    steps = numpy.zeros(B.shape[1], int)
    for i in range(B.shape[1]):
        A[:, i], steps[i] = _active_set(G, B[:, i], tol)
    return A.astype(corr.dtype), steps


def _active_set(G, b, tol):
    """argmin_{a >= 0} 1/2 a^T G a - b^T a (Lawson-Hanson; module docstring):
    (a, steps)."""
    K = b.shape[0]
    a, free = numpy.zeros(K), numpy.ones(K, bool)
    P, w = numpy.zeros(0, int), b
    for step in range(4 * K):  # NOTE: a bound; it stops after about |P| steps
        j = int(numpy.argmax(numpy.where(free, w, -numpy.inf)))
        if not (free[j] and w[j] > tol):
            return a, step
        P = numpy.append(P, j)
        free[j] = False
        while True:
            try:
                s = numpy.linalg.solve(G[numpy.ix_(P, P)], b[P])
            except numpy.linalg.LinAlgError:  # NOTE: G_PP singular (repeated atoms)
                return a, step
            if (s > 0).all():
                break
            aP, out = a[P], s <= 0
            alpha = numpy.min(aP[out] / (aP[out] - s[out]))
            aP = aP + alpha * (s - aP)
            keep = aP > 0
            a[P] = numpy.where(keep, aP, 0)
            free[P[~keep]] = True
            P = P[keep]
            if j not in P:  # NOTE: the entering atom cannot grow: optimal to rounding
                return a, step
        a[:] = 0
        a[P] = s
        w = b - s @ G[P]
    return a, 4 * K


def code(D, X, lambda_):
    """Non-negative lasso codes of the columns of X over D: (A, steps)."""
    return lasso(D.T @ D, D.T @ X, lambda_)


def update_dictionary(D, AA, XA, block=32):
    """One pass of block-coordinate descent over the atoms (module
    docstring); returns the new D (a copy). The atoms are visited in order,
    as one-by-one Gauss-Seidel, but ``block`` at a time: the residuals
    xa_j - D aa_j of a block come from one product with the current D, and
    each update inside the block corrects those of the atoms after it
    (- (d_j' - d_j) AA_jk), so the whole pass reads D about K / block
    times instead of K."""
    D = numpy.array(D)
    K = D.shape[1]
    for start in range(0, K, block):
        J = slice(start, min(start + block, K))
        R = XA[:, J] - D @ AA[:, J]              # (d, m): xa_j - D aa_j
        Dj, aa = D[:, J].copy(), AA[J, J]
        for i in range(Dj.shape[1]):
            if aa[i, i] <= 0:
                continue
            u = Dj[:, i] + R[:, i] / aa[i, i]
            new = u / max(float(numpy.sqrt(u @ u)), 1.0)
            R[:, i + 1:] -= numpy.outer(new - Dj[:, i], aa[i, i + 1:])
            Dj[:, i] = new
        D[:, J] = Dj
    return D


def learn_dictionary(X, atoms, lambda_, rng, epochs=1, batch=1024, callback=None):
    """Online dictionary learning on the rows of X (n, d) (Mairal et al.
    2010, Algorithm 1 with mini-batches): D starts as ``atoms`` random rows
    scaled to unit norm; each mini-batch of ``batch`` rows is coded
    (``lasso``), added to the statistics AA = beta AA + A A^T, XA = beta XA
    + X A^T with beta = 1 - 1/t at the t-th batch (so batch i weighs i/t:
    early codes, made with a poor dictionary, fade), and D takes one
    ``update_dictionary`` pass. An atom that no batch has used yet (AA_jj =
    0) is replaced by a random row of the batch. ``callback(t, total,
    loss)`` after every batch, loss = the batch's objective before the
    update. Returns (D (d, atoms), losses)."""
    n, d = X.shape
    if n < atoms:
        raise ValueError(f"{n} training rows cannot seed {atoms} atoms")
    dtype = X.dtype
    D = _unit_columns(X[rng.choice(n, atoms, replace=False)].T)
    AA = numpy.zeros((atoms, atoms), dtype)
    XA = numpy.zeros((d, atoms), dtype)
    per_epoch = -(-n // batch)
    total, losses, t = epochs * per_epoch, [], 0
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch):
            t += 1
            Xb = numpy.ascontiguousarray(X[order[start:start + batch]].T)
            gram, corr = D.T @ D, D.T @ Xb
            A, _ = lasso(gram, corr, lambda_)
            fit = (Xb * Xb).sum() - 2 * (A * corr).sum() + (A * (gram @ A)).sum()
            losses.append(float((0.5 * fit + lambda_ * A.sum()) / Xb.shape[1]))
            beta = dtype.type(1 - 1 / t)
            AA = beta * AA + A @ A.T
            XA = beta * XA + Xb @ A.T
            D = update_dictionary(D, AA, XA)
            unused = numpy.flatnonzero(numpy.diag(AA) <= 0)
            if unused.size:
                D[:, unused] = _unit_columns(Xb[:, rng.integers(0, Xb.shape[1], unused.size)])
            if callback is not None:
                callback(t, total, losses[-1])
    return D, losses


def _unit_columns(M):
    return M / numpy.maximum(numpy.sqrt((M * M).sum(axis=0)), 1e-12)
