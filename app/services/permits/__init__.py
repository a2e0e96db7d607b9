"""Work permits and their verification: numbering, the unforgeable token, printing, the public
scan and its log (第七条, 第十条(一); SPEC §5)."""
