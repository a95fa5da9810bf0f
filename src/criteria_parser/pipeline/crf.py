"""Tagging with a CRFsuite model read into arrays, so that the weights of features that repeat are added up once.

``pycrfsuite.Tagger.tag`` takes every token's feature strings (40 of them), makes C++ strings of them and looks
each up in the model's dictionary on every call: most of the entity step's time (issue 14). Here the model file
(CRFsuite's ``crf1d`` format: a header; the features as ``(type, source, destination, weight)`` records; the label
and attribute names in CQDB chunks) is read once into a matrix of state weights (attribute x label) and one of
transition weights (label x label). A caller sums the rows of a group of features once and remembers the sum
(:class:`~.entities.EntityFinder`); a token's scores are the sums of its groups; the best path is CRFsuite's
Viterbi (:meth:`CRFModel.best`: the first label wins a tie). Sums taken in another order may differ from CRFsuite's in the last bit, so the tags are
CRFsuite's unless two paths score the same to 15 digits (``tests/test_entity_tagger.py`` compares them).
"""

from __future__ import annotations

import struct
from pathlib import Path
import numpy as np

from ..errors import InputError

_HEADER = struct.Struct("<4sI4sIIIIIIIII")
_CHUNK = struct.Struct("<4sII")
_CQDB = struct.Struct("<4sIIIII")
_RECORD = 8  # a CQDB record: an int32 id and a uint32 size, then the string and its NUL
_FEATURE = np.dtype([("type", "<u4"), ("source", "<u4"), ("destination", "<u4"), ("weight", "<f8")])
_STATE, _TRANSITION = 0, 1


def _names(buffer: bytes, offset: int) -> list[str]:
    """The strings of the CQDB chunk at ``offset``, by id: the records, written in id order, with their headers
    blanked, split at the NULs."""
    chunk, _, _, _, count, backward = _CQDB.unpack_from(buffer, offset)
    if chunk != b"CQDB":
        raise ValueError("not a CRFsuite model: no CQDB chunk where the header points")
    if not count:
        return []
    starts = np.frombuffer(buffer, dtype="<u4", count=count, offset=offset + backward).astype(np.int64) + offset
    if np.any(np.diff(starts) <= 0):
        raise ValueError("CRFsuite model: CQDB records not in id order")
    last = int(starts[-1])
    end = last + _RECORD + int.from_bytes(buffer[last + 4:last + 8], "little")
    region = np.frombuffer(buffer, dtype=np.uint8, count=end - int(starts[0]), offset=int(starts[0])).copy()
    region[((starts - starts[0])[:, None] + np.arange(_RECORD)).ravel()] = 0
    names = [name for name in region.tobytes().decode("utf-8").split("\x00") if name]
    if len(names) != count:
        raise ValueError("CRFsuite model: an empty or unreadable name in a CQDB chunk")
    return names


class CRFModel:
    """A CRFsuite model: its ``labels``, ``index`` (attribute name -> row of ``state``), ``state`` weights
    (attribute x label) and ``transition`` weights (label x label)."""

    def __init__(self, path: Path) -> None:
        """Read the model file at ``path``.

        Raises:
            InputError: the file cannot be read or is not a CRFsuite crf1d model (``path: what is wrong``).
        """
        try:
            buffer = Path(path).read_bytes()
            magic, _, kind, _, _, labels, attributes, features, label_names, attribute_names, _, _ = \
                _HEADER.unpack_from(buffer, 0)
            if magic != b"lCRF" or kind != b"FOMC":
                raise ValueError("not a CRFsuite crf1d model")
            _, _, count = _CHUNK.unpack_from(buffer, features)
            records = np.frombuffer(buffer, dtype=_FEATURE, count=count, offset=features + _CHUNK.size)
            self.labels: list[str] = _names(buffer, label_names)
            self.index: dict[str, int] = {name: i for i, name in enumerate(_names(buffer, attribute_names))}
        except OSError as exc:
            raise InputError(str(path), f"cannot read: {exc.strerror}") from None
        except (ValueError, struct.error, UnicodeDecodeError) as exc:  # a truncated file: struct.error
            problem = str(exc) if type(exc) is ValueError else f"not a CRFsuite crf1d model ({exc})"
            raise InputError(str(path), problem) from None
        self.state = np.zeros((attributes, labels))
        self.transition = np.zeros((labels, labels))
        for kind_, matrix in ((_STATE, self.state), (_TRANSITION, self.transition)):
            chosen = records[records["type"] == kind_]
            matrix[chosen["source"], chosen["destination"]] = chosen["weight"]
        # transitions by the label they lead to (label x the label before it): the Viterbi's rows, no broadcast view
        self._into = np.ascontiguousarray(self.transition.T)

    def best(self, scores: np.ndarray) -> list[str]:
        """The labels of the best path through tokens scored ``scores`` (token x label): CRFsuite's Viterbi."""
        if not len(scores):
            return []
        into, labels = self._into, _LABELS[:len(self.labels)]
        best, back = scores[0], []
        for state in scores[1:]:
            paths = into + best  # paths[j, i]: the best path ending in label i, then label j
            came = paths.argmax(axis=1)  # the first of equal paths, as CRFsuite keeps it
            back.append(came)
            best = paths[labels, came] + state
        path = [int(best.argmax())]
        for came in reversed(back):
            path.append(came.item(path[-1]))
        return [self.labels[i] for i in reversed(path)]


_LABELS = np.arange(1024)
