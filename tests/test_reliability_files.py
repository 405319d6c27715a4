"""Files and the command line: atomic writes, checked headers, reported losses, clear errors.

The plmc round trip is checked against files plmc wrote (tests/data/plmc/skip.*):
``plmc -f FOCUS -le 2.0 -lh 0.01 -t 0.2 -s 0.5 -m 30 -n 1 --save-weights skip.weights
-o skip.params -c skip.couplings ali_skip.fa`` with the float64 build (log in skip.log),
and ``--save-weights skip32.weights`` (``-t 0.2``, no ``-s``) with the float32 build.
``ali_skip.fa`` is ``ali.fa`` with an ambiguous residue in sequences 10, 50, 51, 200
and 399, which plmc skips.
"""

import errno
import gzip
import io
import os
import subprocess
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest

from sklearn_plm import (
    PottsPseudoLikelihoodMemory,
    mutation_effects,
    read_plmc_params,
    read_plmc_weights,
    write_plmc_params,
    write_plmc_weights,
)
from sklearn_plm import _fileio
from sklearn_plm.datasets import _alignment_formats, read_alignment
from sklearn_plm.plmc import main

DATA = Path(__file__).parent / "data" / "plmc"
SKIPPED = [10, 50, 51, 200, 399]
PLMC64 = Path("/work/peers/plmc64/bin/plmc")
RNA = "".join(f">r{k}\nACGU-{'ACG'[k % 3]}\n" for k in range(35))


# --------------------------------------------------------------------------- atomic files

def _fitted():
    X = np.random.default_rng(0).integers(0, 4, size=(40, 5))
    return PottsPseudoLikelihoodMemory(symmetric=True, alpha=0.1).fit(X), X


@pytest.mark.parametrize("error", [KeyboardInterrupt(), OSError(errno.ENOSPC, "No space")])
def test_interrupted_or_full_disk_write_leaves_the_old_file_and_no_part(tmp_path, monkeypatch,
                                                                         error):
    model, X = _fitted()
    path = tmp_path / "m.params"
    path.write_bytes(b"previous")
    real_fdopen = os.fdopen

    class Failing(io.BufferedWriter):
        n = 0

        def write(self, data):
            Failing.n += 1
            if Failing.n == 3:  # part of the file is out when the write fails
                raise error
            return super().write(data)

    def fdopen(fd, mode="r", **kw):
        return Failing(real_fdopen(fd, mode, buffering=0)) if "b" in mode else \
            real_fdopen(fd, mode, **kw)

    monkeypatch.setattr(_fileio.os, "fdopen", fdopen)
    with pytest.raises(type(error)):
        write_plmc_params(model, path, X, alphabet="-ACG")
    assert path.read_bytes() == b"previous"
    assert sorted(os.listdir(tmp_path)) == ["m.params"]
    monkeypatch.undo()
    write_plmc_params(model, path, X, alphabet="-ACG")
    assert read_plmc_params(path).coupling_.shape == (5, 5, 4, 4)
    assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~_fileio._UMASK)


def test_atomic_write_text_and_errors(tmp_path):
    with _fileio.atomic_write(tmp_path / "a.txt", "w") as f:
        f.write("x\n")
    assert (tmp_path / "a.txt").read_text() == "x\n"
    with pytest.raises(ValueError, match="mode"):
        with _fileio.atomic_write(tmp_path / "b", "a"):
            pass
    with pytest.raises(ValueError, match="does not exist"):
        _fileio.check_output_path(tmp_path / "nope" / "x", "-o")
    with pytest.raises(ValueError, match="is a folder"):
        _fileio.check_output_path(tmp_path, "-c")


# --------------------------------------------------------------------- plmc params reader

def _tampered(tmp_path, offset, value, dtype="<f4"):
    data = bytearray((DATA / "focus.params").read_bytes())
    raw = np.array([value], dtype=dtype).tobytes()
    data[offset:offset + len(raw)] = raw
    path = tmp_path / "t.params"
    path.write_bytes(bytes(data))
    return path


def _offsets():
    """Byte offsets of the blocks of focus.params (7 sites, 21 states, 400 sequences)."""
    N, q, n = 7, 21, 400
    o = {"theta": 20, "lh": 24, "le": 28, "lg": 32, "neff": 36}
    o["neighbors"] = 40 + q
    o["fi"] = o["neighbors"] + 4 * n + N + 4 * N
    o["h"] = o["fi"] + 4 * N * q
    o["fij"] = o["h"] + 4 * N * q
    o["e"] = o["fij"] + 4 * (N * (N - 1) // 2) * q * q
    return o


@pytest.mark.parametrize("field", ["lh", "le", "lg"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -1.0])
def test_params_reader_refuses_bad_penalties(tmp_path, field, value):
    path = _tampered(tmp_path, _offsets()[field], value)
    with pytest.raises(ValueError, match="penalties"):
        read_plmc_params(path)


@pytest.mark.parametrize("field, k", [("e", 0), ("e", 9000), ("h", 5), ("fi", 3), ("fij", 77),
                                      ("neighbors", 2), ("neff", 0), ("theta", 0)])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_params_reader_refuses_non_finite_values(tmp_path, field, k, value):
    path = _tampered(tmp_path, _offsets()[field] + 4 * k, value)
    with pytest.raises(ValueError, match="finite"):
        read_plmc_params(path)


def test_params_reader_tampering_fuzz(tmp_path):
    """Every tampered float32 slot is refused, or loads as a finite model."""
    rng = np.random.default_rng(0)
    size = (DATA / "focus.params").stat().st_size
    values = [np.nan, np.inf, -np.inf, -1.0, 3e38, 0.0, 1e-45]
    refused = loaded = 0
    for _ in range(300):
        offset = 20 + 4 * int(rng.integers(0, (size - 20) // 4))
        path = _tampered(tmp_path, offset, values[rng.integers(len(values))])
        try:
            model, info = read_plmc_params(path, return_info=True)
        except ValueError:
            refused += 1
            continue
        loaded += 1
        assert np.all(np.isfinite(model.coupling_)) and np.all(np.isfinite(model.fields_))
        assert model.alpha >= 0 and model.alpha_fields >= 0 and model.alpha_group >= 0
        assert np.all(np.isfinite(model.score_samples(np.zeros((2, 7)))))
    assert refused > 30 and loaded > 30


def test_params_reader_checks_the_size_before_reading(tmp_path):
    path = tmp_path / "big.params"
    header = (DATA / "focus.params").read_bytes()[:40]
    with open(path, "wb") as f:
        f.write(header)
        f.truncate(256 * 2**20)  # sparse: 256 MiB of zeros after a 7-site header
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"has 268435456 bytes, but its header .* implies"):
            read_plmc_params(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20
    # a header claiming a huge model is refused on the numbers, not after reading
    path.write_bytes(np.array([10**6, 21, 1, 0, 0], dtype="<i4").tobytes() + bytes(20))
    with pytest.raises(ValueError, match="implies"):
        read_plmc_params(path)
    path.write_bytes(np.array([7, 21, 1, 0, -4], dtype="<i4").tobytes() + bytes(20))
    with pytest.raises(ValueError, match="maxIter=-4"):
        read_plmc_params(path)


# ------------------------------------------------------------------- plmc's round trip

def test_plmc_weights_files_read_exactly():
    w64 = read_plmc_weights(DATA / "skip.weights", n_sequences=400)
    assert np.flatnonzero(w64 == 0).tolist() == SKIPPED
    # plmc -s 0.5 writes the scaled weights, 0.5 / (number of neighbours)
    _, info = read_plmc_params(DATA / "skip.params", return_info=True)
    kept = w64 > 0
    # ... and stores 1 / (w s) as the number of neighbours (float32)
    np.testing.assert_allclose(info.n_neighbors[kept], 1 / (w64[kept] * 0.5), rtol=1e-7)
    w32 = read_plmc_weights(DATA / "skip32.weights")
    np.testing.assert_allclose(w32, 2 * w64, rtol=1e-7)
    with pytest.raises(ValueError, match="has 400 weights, but the alignment has 399"):
        read_plmc_weights(DATA / "skip.weights", n_sequences=399)


def test_weights_writer_matches_plmc_byte_for_byte(tmp_path):
    w = read_plmc_weights(DATA / "skip.weights")
    out = tmp_path / "w.txt"
    write_plmc_weights(out, w[w > 0], skipped=SKIPPED)
    assert out.read_bytes() == (DATA / "skip.weights").read_bytes()
    with pytest.raises(ValueError, match="increasing indices"):
        write_plmc_weights(out, w[w > 0], skipped=[3, 3, 4, 5, 6])


def _cli(tmp_path, *extra, alignment="ali_skip.fa"):
    return main(["-f", "FOCUS", "-le", "2.0", "-lh", "0.01", "-t", "0.2", "-n", "1",
                 *extra, str(DATA / alignment)])


def test_cli_round_trip_with_plmc_files(tmp_path, capsys):
    w_out, params = tmp_path / "w.txt", tmp_path / "m.params"
    _cli(tmp_path, "-s", "0.5", "-m", "30", "--float64", "--save-weights", str(w_out),
         "-o", str(params))
    err = capsys.readouterr().err
    assert "395 valid sequences out of 400" in err  # plmc's line
    assert "Skipped 5 sequences" in err and "3 'X'" in err
    assert w_out.read_bytes() == (DATA / "skip.weights").read_bytes()
    ours_model, ours = read_plmc_params(params, return_info=True)
    plmc_model, plmc = read_plmc_params(DATA / "skip.params", return_info=True)
    assert (ours.n_sequences, ours.n_skipped) == (plmc.n_sequences, plmc.n_skipped) == (395, 5)
    np.testing.assert_array_equal(ours.n_neighbors, plmc.n_neighbors)
    assert ours.n_eff == plmc.n_eff
    np.testing.assert_allclose(ours.fij, plmc.fij, atol=1e-6)
    np.testing.assert_allclose(ours_model.coupling_, plmc_model.coupling_, atol=0.01)
    # -w reads plmc's file (float64 build) and plmc32's (8 digits), skipped lines ignored
    for weights in ("skip.weights", "skip32.weights"):
        _cli(tmp_path, "-w", str(DATA / weights), "-m", "1", "-q")
    _cli(tmp_path, "-w", str(DATA / "skip32.weights"), "-m", "1")
    err = capsys.readouterr().err
    assert "Weights loaded from" in err and "Effective number of samples: 317.7" in err


@pytest.mark.skipif(not PLMC64.exists(), reason="plmc is not built")
def test_plmc_reads_our_weights(tmp_path):
    w_out = tmp_path / "w.txt"
    _cli(tmp_path, "-s", "0.5", "-m", "1", "-q", "--save-weights", str(w_out))
    run = subprocess.run([str(PLMC64), "-f", "FOCUS", "-le", "2.0", "-m", "1", "-w",
                          str(w_out), str(DATA / "ali_skip.fa")], capture_output=True, text=True)
    assert run.returncode == 0
    assert "Weights loaded successfully. Effective number of samples (to 1 decimal place): " \
        "158.8" in run.stderr
    assert "Warning" not in run.stderr


def test_cli_warns_about_nonzero_weights_of_skipped_sequences(tmp_path, capsys):
    path = tmp_path / "w.txt"
    path.write_text("1\n" * 400)
    _cli(tmp_path, "-w", str(path), "-m", "1")
    err = capsys.readouterr().err
    assert "nonzero weight to 5 skipped sequences (lines 11, 51, 52, 201, 400)" in err


def test_cli_numbering_option(tmp_path, capsys):
    # the focus row of ali.fa holds gap characters: residue numbering differs from plmc's
    _cli(tmp_path, "-m", "1", "--numbering", "residue", "-c", str(tmp_path / "c.txt"),
         alignment="ali.fa")
    err = capsys.readouterr().err
    ali = read_alignment(DATA / "ali.fa", focus="FOCUS", numbering="residue", as_bunch=True)
    assert f"positions {ali.positions[0]}-{ali.positions[-1]} (residue numbering)" in err
    first = (tmp_path / "c.txt").read_text().split()
    assert int(first[0]) == ali.positions[0] and int(first[2]) == ali.positions[1]
    plmc = read_alignment(DATA / "ali.fa", focus="FOCUS", as_bunch=True)
    assert not np.array_equal(ali.positions, plmc.positions)


def test_cli_default_precision_is_float32(tmp_path, capsys):
    from sklearn_plm.plmc import build_parser, run

    args = build_parser().parse_args(["-m", "2", "-q", str(DATA / "ali.fa")])
    assert args.float64 is False
    assert run(args, log=lambda *a: None).coupling_.dtype == np.float32
    args = build_parser().parse_args(["-m", "2", "-q", "--float64", str(DATA / "ali.fa")])
    assert run(args, log=lambda *a: None).coupling_.dtype == np.float64


# ------------------------------------------------------------------ the command line

def test_cli_checks_output_paths_before_the_fit(tmp_path, monkeypatch, capsys):
    def no_fit(*a, **k):
        raise AssertionError("the fit ran")

    monkeypatch.setattr(PottsPseudoLikelihoodMemory, "fit", no_fit)
    couplings = tmp_path / "c.txt"
    for args in (["-o", "/nonexistent/x.params"], ["--save-weights", "/nonexistent/w"],
                 ["-c", str(tmp_path)]):
        with pytest.raises(SystemExit) as exc:
            main(["-c", str(couplings), *args, str(DATA / "ali.fa")] if args[0] != "-c"
                 else [*args, str(DATA / "ali.fa")])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert "does not exist" in err or "is a folder" in err
    assert not couplings.exists()
    with pytest.raises(SystemExit):
        main(["-o", str(couplings), "-c", str(couplings), str(DATA / "ali.fa")])
    assert "name the same file" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["-t", "nan"], "argument -t/--theta: expected a number, got 'nan'"),
    (["-le", "abc"], "argument -le/--lambdae: expected a finite non-negative number, got 'abc'"),
    (["-lh", "inf"], "argument -lh/--lambdah: expected a finite non-negative number"),
    (["-m", "-3"], "argument -m/--maxiter: expected a number of iterations"),
    (["-s", "0"], "argument -s/--scale: expected a positive number"),
    (["--tol", "nan"], "argument --tol: expected a finite non-negative number"),
    (["--fast"], "--fast is not provided"),
])
def test_cli_option_errors_name_the_option(args, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*args, str(DATA / "ali.fa")])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_speaks_cli_about_convergence(tmp_path, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no Python warning escapes
        _cli(tmp_path, "-m", "3", alignment="ali.fa")
        err = capsys.readouterr().err
        assert "warning: not converged in -m 3 iterations" in err
        assert "max_iter" not in err and "ConvergenceWarning" not in err
        _cli(tmp_path, "-m", "3", "-q", alignment="ali.fa")
        assert capsys.readouterr().err == ""


def test_cli_reports_an_rna_file_read_as_protein(tmp_path, capsys):
    path = tmp_path / "rna.fa"
    path.write_text(RNA)
    # every sequence holds U: nothing is left, and the error says what to pass
    with pytest.raises(SystemExit) as exc:
        main(["-m", "2", str(path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "all 35 sequences hold symbols outside the alphabet" in err
    assert "35 'U'" in err and "-a -ACGU" in err
    path.write_text(RNA.replace("ACGU-", "ACGA-", 30))
    main(["-m", "2", str(path)])
    err = capsys.readouterr().err
    assert "30 valid sequences out of 35" in err
    path.write_text(RNA.replace("ACGU-", "ACGA-", 5))
    main(["-m", "2", str(path)])
    err = capsys.readouterr().err
    assert "5 valid sequences out of 35" in err and "Skipped 30 sequences" in err
    assert "86 % of the sequences were skipped" in err and "-a -ACGU" in err
    main(["-m", "2", "-a", "-ACGU", str(path)])
    assert "35 valid sequences out of 35" in capsys.readouterr().err


# ------------------------------------------------------------------ the alignment reader

def test_reader_reports_gapped_entries_and_suggests_the_alphabet():
    with pytest.warns(UserWarning, match=r"turned 35 entries into gaps.*alphabet='-ACGU'"):
        ali = read_alignment(io.StringIO(RNA), as_bunch=True)
    assert (ali.n_read, ali.dropped.tolist(), ali.n_gapped) == (35, [], 35)
    assert ali.ambiguous_counts == {"U": 35}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ali = read_alignment(io.StringIO(RNA), alphabet="-ACGU", as_bunch=True)
    assert ali.n_gapped == 0 and ali.ambiguous_counts == {}


def test_reader_reports_dropped_sequences():
    text = RNA.replace("ACGU-", "ACGA-", 31)
    with pytest.warns(UserWarning, match=r"dropped 4 of 35 sequences \(11 %\)"):
        ali = read_alignment(io.StringIO(text), ambiguous="drop", as_bunch=True)
    assert ali.dropped.tolist() == [31, 32, 33, 34] and ali.data.shape == (31, 6)
    # a few dropped sequences are reported, not warned about (plmc's DHFR: 13 of 3629)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ali = read_alignment(DATA / "ali_skip.fa", ambiguous="drop", focus="FOCUS",
                             as_bunch=True)
    assert ali.dropped.tolist() == SKIPPED and ali.n_read == 400


def test_reader_all_sequences_dropped_is_a_clear_error():
    with pytest.raises(ValueError, match="Every one of the 35 sequences .* alphabet='-ACGU'"):
        read_alignment(io.StringIO(RNA.replace("ACGA", "ACGU")), ambiguous="drop")
    with pytest.raises(ValueError, match="Every one of the 2 sequences"):
        read_alignment(io.StringIO(">a\nAX\n>b\nXA\n"), ambiguous="drop", focus="a")


@pytest.mark.parametrize("damage", ["truncate", "corrupt"])
def test_reader_truncated_or_corrupt_gzip(tmp_path, damage):
    data = gzip.compress((DATA / "ali.fa").read_bytes())
    if damage == "truncate":
        data = data[:len(data) // 2]
    else:
        data = bytearray(data)
        data[-8] ^= 0xFF  # the CRC of the content
        data = bytes(data)
    path = tmp_path / "ali.fa.gz"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="truncated or corrupt gzip file"):
        read_alignment(path)
    with pytest.raises(ValueError, match="truncated or corrupt gzip file"):
        read_alignment(io.BytesIO(data))


def test_reader_focus_start_beyond_32_bits():
    text = ">F/99999999999999999999-1\nACD\n>b\nACD\n"
    with pytest.raises(ValueError, match="at most 2147483647"):
        read_alignment(io.StringIO(text), focus="F")
    with pytest.raises(ValueError, match="last column 2147483648"):
        read_alignment(io.StringIO(">F/2147483646-1\nACD\n>b\nACD\n"), focus="F")


@pytest.mark.parametrize("piece", [1, 2, 3, 7])
def test_reader_in_small_pieces_reads_the_same(monkeypatch, piece):
    text = (DATA / "ali.fa").read_text()
    text = "# comment line\n" + text.replace(">S1/1-12\n", "#x\n>S1/1-12 long header\n")
    expected = read_alignment(io.StringIO(text), focus="FOCUS", as_bunch=True)
    monkeypatch.setattr(_alignment_formats, "_PIECE", piece)
    for source in (io.StringIO(text), io.BytesIO(text.encode())):
        got = read_alignment(source, focus="FOCUS", as_bunch=True)
        np.testing.assert_array_equal(got.data, expected.data)
        assert got.names == expected.names and got.positions.tolist() == \
            expected.positions.tolist()


@pytest.mark.parametrize("ambiguous", [None, "gap", "drop"])
def test_reader_long_lines_stay_within_the_documented_bound(ambiguous):
    """Peak about the codes plus one piece, however long the lines (was 3.7x)."""
    L = 8 * 2**20
    seq = b"ACDEFGHIKL" * (L // 10)
    first = seq if ambiguous is None else b"X" + seq[1:]
    data = b">a\n" + first + b"\n>b\n" + seq + b"\n>c\n" + seq + b"\n"
    src = io.BytesIO(data)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # one of three sequences dropped
            X, _ = read_alignment(src, ambiguous=ambiguous or "gap")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert X.shape == (2 if ambiguous == "drop" else 3, len(seq))
    codes = 3 * len(seq)
    # codes, one piece and its encoding; with ambiguous residues one count per column
    bound = codes + 2 * len(seq) + (len(seq) if ambiguous else 0) + 2**23
    assert peak < bound, peak / codes


def test_reader_refuses_content_beyond_memory(monkeypatch):
    monkeypatch.setattr(_alignment_formats, "available_memory", lambda: 1000)
    bomb = gzip.compress(b">a\n" + b"A" * 5000 + b"\n")
    with pytest.raises(ValueError, match="more than 0.0 GiB of match columns"):
        read_alignment(io.BytesIO(bomb))


# --------------------------------------------------------------------- mutation effects

@pytest.mark.parametrize("sites, states, message", [
    ([0.5], [1], "whole numbers; got 0.5"),
    ([np.nan], [1], "whole numbers; got nan"),
    ([-3], [-3], "below -1"),
    ([1], [1.5], "whole numbers"),
    (["a"], [1], "must be integers"),
])
def test_mutation_effects_refuses_bad_index_mutants(sites, states, message):
    J, h = np.zeros((3, 3, 2, 2)), np.zeros((3, 2))
    with pytest.raises(ValueError, match=message):
        mutation_effects(J, h, [0, 0, 0], (np.array(sites), np.array(states)))


def test_wild_type_mismatch_names_the_numbering():
    J, h = np.zeros((3, 3, 2, 2)), np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"there in the numbering of `positions`.*"
                                         r"numbering='residue'.*--numbering residue"):
        mutation_effects(J, h, "ABA", ["A11B"], positions=[10, 11, 12], alphabet="AB")
    with pytest.raises(ValueError, match=r"site numbers 1..n_sites"):
        mutation_effects(J, h, "ABA", ["B1A"], alphabet="AB")
    with pytest.raises(ValueError, match="positions must be whole numbers"):
        mutation_effects(J, h, "ABA", ["A1B"], positions=[1.5, 2, 3], alphabet="AB")
