# Parallel-tempering Monte Carlo for Ising models on degree-4 graphs (the
# Edwards-Anderson model on a periodic square lattice) with any couplings.
# A site's energy change depends only on which of its 4 neighbours agree
# with it, so the Python layer (sklearn_plm/datasets/_spin_glass.py)
# tabulates the 16 possible changes per site and their acceptance
# probabilities per temperature; a move is then a table lookup, with no exp.

from cython.parallel cimport prange
from libc.math cimport exp
from libc.stdint cimport uint64_t


cdef inline uint64_t _rotl(uint64_t x, int k) noexcept nogil:
    return (x << k) | (x >> (64 - k))


cdef inline uint64_t _splitmix64(uint64_t *x) noexcept nogil:
    # only used to expand one seed into a well-mixed xoshiro state
    x[0] += <uint64_t>0x9E3779B97F4A7C15ULL
    cdef uint64_t z = x[0]
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline uint64_t _xoshiro(uint64_t *s) noexcept nogil:
    # xoshiro256**: fast, passes BigCrush, 2^256 period per chain
    cdef uint64_t result = _rotl(s[1] * 5, 7) * 9
    cdef uint64_t t = s[1] << 17
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return result


cdef inline double _uniform(uint64_t *s) noexcept nogil:
    # 53 high bits -> [0, 1)
    return (_xoshiro(s) >> 11) * (1.0 / 9007199254740992.0)


cdef inline int _config(const signed char *spin, const int *nb, int s) noexcept nogil:
    # bit k set when neighbour k agrees with s
    return ((spin[nb[0]] == s) | ((spin[nb[1]] == s) << 1)
            | ((spin[nb[2]] == s) << 2) | ((spin[nb[3]] == s) << 3))


cdef double _energy(
    const signed char *spin, const int *nbr, const double *local, Py_ssize_t n_sites,
) noexcept nogil:
    # E = -1/2 sum_i s_i h_i and local[i, cfg] = s_i h_i
    cdef Py_ssize_t i
    cdef double acc = 0
    for i in range(n_sites):
        acc += local[16 * i + _config(spin, nbr + 4 * i, spin[i])]
    return -0.5 * acc


cdef void _sweep(
    signed char *spin,
    const int *nbr,
    const double *local,
    const double *accept,
    Py_ssize_t n_sites,
    double *energy, uint64_t *state,
) noexcept nogil:
    # One Metropolis sweep in site order. Flipping site i in configuration
    # cfg changes the energy by 2 * local[i, cfg], accepted with probability
    # accept[i, cfg] (tables of this temperature).
    cdef Py_ssize_t i, k
    cdef int s
    cdef double d
    for i in range(n_sites):
        s = spin[i]
        k = 16 * i + _config(spin, nbr + 4 * i, s)
        d = local[k]
        if d <= 0 or _uniform(state) < accept[k]:
            spin[i] = <signed char>(-s)
            energy[0] += 2.0 * d


cdef void _run_chain(
    Py_ssize_t c,
    const int[:, ::1] nbr,
    const double[:, ::1] local,
    const double[:, :, ::1] accept,
    const double[::1] betas,
    signed char[:, ::1] spins,
    double[:, ::1] energies,
    int[:, ::1] replica_at,
    long long[:, ::1] swaps,
    signed char[:, ::1] out,
    Py_ssize_t out_start, Py_ssize_t out_stop,
    int n_burn_in, int n_between,
    uint64_t seed,
) noexcept nogil:
    cdef Py_ssize_t n_replicas = betas.shape[0], n_sites = nbr.shape[0]
    cdef Py_ssize_t r, t, i, base = c * n_replicas, sample
    cdef int rnd, n_rounds
    cdef int tmp
    cdef double delta
    cdef uint64_t state[4]
    cdef uint64_t sm = seed
    for i in range(4):
        state[i] = _splitmix64(&sm)

    # random initial states; replica r starts at temperature index r
    for r in range(n_replicas):
        replica_at[c, r] = <int>r
        for i in range(n_sites):
            spins[base + r, i] = 1 if (_xoshiro(state) >> 63) else -1
        energies[c, r] = _energy(&spins[base + r, 0], &nbr[0, 0], &local[0, 0], n_sites)

    for sample in range(out_start - 1, out_stop):
        # the first pass is the burn-in, every later pass ends on a sample
        n_rounds = n_burn_in if sample < out_start else n_between
        for rnd in range(n_rounds):
            for t in range(n_replicas):
                r = replica_at[c, t]
                _sweep(&spins[base + r, 0], &nbr[0, 0], &local[0, 0], &accept[t, 0, 0],
                       n_sites, &energies[c, r], state)
            # swap neighbouring temperatures: min(1, exp(dbeta * dE))
            for t in range(n_replicas - 1):
                delta = (betas[t] - betas[t + 1]) * (
                    energies[c, replica_at[c, t]] - energies[c, replica_at[c, t + 1]])
                if delta >= 0 or _uniform(state) < exp(delta):
                    tmp = replica_at[c, t]
                    replica_at[c, t] = replica_at[c, t + 1]
                    replica_at[c, t + 1] = tmp
                    swaps[c, t] += 1
        if sample >= out_start:
            r = replica_at[c, 0]
            for i in range(n_sites):
                out[sample, i] = spins[base + r, i]


def parallel_tempering(
    const int[:, ::1] nbr,               # IN: (n_sites, 4) neighbour sites
    const double[:, ::1] local,          # IN: (n_sites, 16) half energy change per neighbour config
    const double[:, :, ::1] accept,      # IN: (n_replicas, n_sites, 16) Metropolis acceptance
    const double[::1] betas,             # IN: (n_replicas,) inverse temperatures, betas[0] = target
    const long long[::1] chain_start,    # IN: (n_chains + 1,) rows of `out` owned by each chain
    const unsigned long long[::1] seeds, # IN: (n_chains,) one RNG seed per chain
    int n_burn_in,
    int n_between,
    signed char[:, ::1] spins,           # WORK: (n_chains * n_replicas, n_sites)
    double[:, ::1] energies,             # WORK: (n_chains, n_replicas)
    int[:, ::1] replica_at,              # WORK: (n_chains, n_replicas) replica at each temperature
    long long[:, ::1] swaps,             # OUT: (n_chains, n_replicas - 1) accepted swaps per pair
    signed char[:, ::1] out,             # OUT: (n_samples, n_sites) samples at betas[0]
    int n_threads,
):
    """Independent parallel-tempering chains, one per RNG seed.

    Each chain runs ``n_burn_in`` rounds, then writes one configuration of
    its coldest temperature every ``n_between`` rounds into its rows of
    ``out``. A round is one Metropolis sweep of every replica followed by
    swap attempts between neighbouring temperatures, from the coldest up.
    Chains share nothing, so the result does not depend on ``n_threads``.
    """
    cdef Py_ssize_t c, n_chains = seeds.shape[0]
    for c in prange(n_chains, nogil=True, num_threads=n_threads, schedule="dynamic"):
        _run_chain(c, nbr, local, accept, betas, spins, energies, replica_at, swaps, out,
                   chain_start[c], chain_start[c + 1], n_burn_in, n_between, seeds[c])
