"""Using experts in the admin (第十四—十六条, SPEC §3.5, §3.6): usage requests with their
candidates, the recorded draw and the responses; assignments; notices and receipts; the
emergency paperwork list and the fairness report.

Who may act on a request: the requesting unit (局科室/大队 or 镇街, its own requests only)
and the system administrator. 基础科 reads everything, and may reclassify a decline as
justified or not (it runs the absence rule). Paper receipts are uploaded by the unit that
issued the notice (第十六条: 使用专家的科室、大队……做好回执回收工作).
"""
