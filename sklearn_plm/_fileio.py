"""Output files that appear whole or not at all.

Every file the library writes (plmc's parameter, couplings and weights
files, the command line's outputs) goes through :func:`atomic_write`: the
content goes to a temporary file in the target's folder, is flushed to disk,
and only then renamed over the target with :func:`os.replace`, which is
atomic on POSIX and Windows within one file system. An error, a full disk
or Ctrl-C while writing leaves the previous file (or no file) and no partial
one.
"""

import contextlib
import os
import tempfile


def _umask():
    # os.umask can only be read by setting it; done once, at import, single-threaded
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _umask()


def check_output_path(path, what="output file"):
    """Refuse, before any work, a path that cannot be written.

    Parameters
    ----------
    path : str or path-like
        The file to be written.
    what : str
        How to name it in the message (e.g. ``"-o"``).

    Raises
    ------
    ValueError
        When the folder does not exist or is not writable, or the path is a
        folder.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ValueError(f"{what} {path!r} is a folder; give a file name.")
    if not os.path.isdir(folder):
        raise ValueError(f"{what} {path!r}: the folder {folder!r} does not exist.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{what} {path!r}: the folder {folder!r} is not writable.")


@contextlib.contextmanager
def atomic_write(path, mode="wb", encoding=None):
    """Open a temporary file next to ``path``; rename it to ``path`` on success.

    Parameters
    ----------
    path : str or path-like
        The target file.
    mode : {"wb", "w"}, default="wb"
        Binary or text.
    encoding : str, default=None
        Text encoding (text mode only).

    Yields
    ------
    file : file object
        Write the content to it. On a normal exit the data is flushed and
        fsynced and the file renamed to ``path`` (with the permissions a
        plain ``open`` would give); on any exception, including
        KeyboardInterrupt, the temporary file is removed and ``path`` is left
        as it was.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_plm._fileio import atomic_write
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "out.txt")
    ...     with atomic_write(path, "w") as f:
    ...         _ = f.write("done\\n")
    ...     print(open(path).read().strip(), os.listdir(folder))
    done ['out.txt']
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode must be 'wb' or 'w'; got {mode!r}.")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".part",
                               dir=folder)
    try:
        with contextlib.suppress(OSError, AttributeError):
            os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder):
    """Make the rename itself durable (POSIX; a no-op where folders cannot be opened)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
