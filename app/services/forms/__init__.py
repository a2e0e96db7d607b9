"""Forms as versioned data (SPEC §2 "form definitions", §3.19): definitions the office builds and
revises without a developer, the one check of a filled form, submissions, signatures, PDF and XLSX.

- :mod:`.definitions` — a form, its versions, sections and fields; editing a draft; the check of a
  definition (Chinese messages naming the section and field); publishing and retiring; who fills.
- :mod:`.validation` — :func:`~.validation.validate_submission`, the only place where a filled form
  is checked against its version (types, required, limits, maxima, alternatives, totals).
- :mod:`.submissions` — saving a submission (idempotent by the phone's ``client_uuid``), reading
  its answers, the subject it is about (assignment, expert, enterprise, notice, nothing).
- :mod:`.builtin` — the forms the software relies on: 附件5 评价表 (version 1 word for word) and
  the 告知书回执 with its 签收人 signature.
- :mod:`.documents` — a submission or a blank version as PDF "like its paper form", and the XLSX of
  a version's submissions with one column per field.

A published version never changes; a submission keeps its version; editing makes a new draft.
Functions flush; the caller commits.
"""
