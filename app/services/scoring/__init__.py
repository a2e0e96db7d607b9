"""Scoring experts with the 附件5 evaluation form: the form versions, saving evaluations, submission
deadlines, 20% coverage and score figures (第二十二条, 附件5)."""
