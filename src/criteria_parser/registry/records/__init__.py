"""Read trial records from registry downloads: one module per input format, plus detection and archives."""

from .record import Failure, Item, Record
from .sources import read_inputs

__all__ = ["Failure", "Item", "Record", "read_inputs"]
