"""The expert's life in the pool: recommendation and intake, eligibility, review, appointment,
terms and renewal, commitment letters, dismissal and announcements (第六、七、十一、十二、十三条, 附件1、2)."""
