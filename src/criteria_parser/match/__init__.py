"""Patients against a listing: the plan (:mod:`.plan`) compiled from the model (:mod:`.compiler`, with
:mod:`.windows`, :mod:`.concepts` and :mod:`.guards`), patient files (JSON and FHIR readers: :mod:`.patients`,
:mod:`.fhir_patients`, :mod:`.patient_files`), the facts read from them (:mod:`.facts`; by kind of variable
:mod:`.results`, :mod:`.treatments` and :mod:`.conditions`, on :mod:`.names` and :mod:`.fact_store`), the
evaluation of a plan (:mod:`.screen`, with :mod:`.treatment_checks` and :mod:`.outcome`), running a screening
(:mod:`.run`) and the screening note (:mod:`.note`).

May import ``errors``, ``model``, ``grammar``, ``document``, ``pipeline`` and ``parser``.
"""
