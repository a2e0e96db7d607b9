"""What waits for whom (SPEC §1): the leader's 待我审批 (``approvals``) and the office's
待我处理 (``office``). Both only gather items from the area services and pass decisions to
the areas' own domain functions; no rule is decided here."""
