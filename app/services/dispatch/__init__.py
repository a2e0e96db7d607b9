"""Using experts: requests, candidates and recusal, the random draw, designation, responses and the
absence rule, notices and receipts, completion, emergency paperwork (第十、十三(四)、十四、十五、十六条, 附件3)."""
