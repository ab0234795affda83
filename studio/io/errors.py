"""The one error type of file input and output."""


class FileFormatError(ValueError):
    """A file that cannot be read as what it claims to be; the message names it and says why."""
