"""The enterprise's voice (企业回访) and the office's extra registry fields on admin pages (issue 17)."""
