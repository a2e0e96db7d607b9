"""Discipline and assessment: violations and the ladder (警告 → 约谈+暂停 → 黑名单), complaints from
enterprises, the annual assessment (第二十一、二十二条, 附件3 第5点)."""
