# Small counter-free generators shared by the compiled kernels. Each caller
# owns its state, so parallel loops draw reproducible streams per row/chain.

from libc.stdint cimport uint64_t


cdef inline uint64_t xorshift_next(uint64_t *state) noexcept nogil:
    # xorshift64*: small, fast, and reproducible across platforms
    cdef uint64_t x = state[0]
    x ^= x >> 12
    x ^= x << 25
    x ^= x >> 27
    state[0] = x
    return x * <uint64_t>2685821657736338717ULL


cdef inline uint64_t splitmix64(uint64_t x) noexcept nogil:
    # spreads nearby seeds over the whole state space
    x = x + <uint64_t>0x9E3779B97F4A7C15ULL
    x = (x ^ (x >> 30)) * <uint64_t>0xBF58476D1CE4E5B9ULL
    x = (x ^ (x >> 27)) * <uint64_t>0x94D049BB133111EBULL
    return x ^ (x >> 31)


cdef inline void shuffle(int *order, Py_ssize_t n, uint64_t *state) noexcept nogil:
    # Fisher-Yates: a uniform permutation of order[0:n], in place
    cdef Py_ssize_t k, j
    cdef int tmp
    for k in range(n - 1, 0, -1):
        j = <Py_ssize_t>(xorshift_next(state) % <uint64_t>(k + 1))
        tmp = order[k]
        order[k] = order[j]
        order[j] = tmp
