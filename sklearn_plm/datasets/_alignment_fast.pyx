# Pairwise identity counts for the sequence reweighting of alignments.
# The Python layer (sklearn_plm/datasets/_alignment.py) validates the codes,
# picks the narrowest integer type and turns the identity into a count.

from cython.parallel cimport prange

cdef enum:
    CHUNK = 64

ctypedef fused code_t:
    unsigned char
    int


def count_similar(
    const code_t[:, ::1] X,        # IN: codes (n_sequences, n_columns)
    Py_ssize_t max_mismatches,     # IN: pairs with at most this many differences count
    int[::1] counts,               # OUT: similar sequences of each row, itself included
    int n_threads,
    Py_ssize_t start=0,            # IN: rows [start, stop) are counted (against all rows)
    Py_ssize_t stop=-1,            #     stop=-1: to the last row
):
    """For rows ``start..stop-1``, the number of rows that differ in at most
    ``max_mismatches`` columns.

    The caller runs long alignments in slices of rows, so that Ctrl-C is
    seen between slices (the loop itself runs without the GIL).

    Each thread owns whole rows (no write conflicts, every pair is compared
    twice); a comparison stops as soon as the pair is known to be dissimilar,
    which is the common case in a diverse alignment.
    """
    cdef Py_ssize_t n_seq = X.shape[0], n_col = X.shape[1]
    cdef Py_ssize_t n_chunks = (n_col + CHUNK - 1) // CHUNK
    cdef Py_ssize_t a, b, k, kc, k0, k1, diff
    cdef int c
    cdef const code_t *xa
    cdef const code_t *xb
    if stop < 0 or stop > n_seq:
        stop = n_seq
    if start < 0 or start > stop:
        raise ValueError(f"rows [{start}, {stop}) are not within 0..{n_seq}")
    for a in prange(start, stop, nogil=True, num_threads=n_threads, schedule="dynamic"):
        c = 0
        xa = &X[a, 0]
        for b in range(n_seq):
            xb = &X[b, 0]
            diff = 0
            # branch-free counting over chunks (it vectorizes); the early exit
            # between chunks pays off for long alignments
            for kc in range(n_chunks):
                k0 = kc * CHUNK
                k1 = min(k0 + CHUNK, n_col)
                for k in range(k0, k1):
                    diff = diff + (xa[k] != xb[k])
                if diff > max_mismatches:
                    break
            if diff <= max_mismatches:
                c = c + 1
        counts[a] = c
