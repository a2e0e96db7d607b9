"""Forms in the admin (SPEC §3.19): the builder the office uses to make and revise forms, and the
submissions of every form (details, filters, PDF, XLSX per version)."""
from admin_views.forms.builder import FormDefinitionView
from admin_views.forms.submissions import FormSubmissionView

__all__ = ["FormDefinitionView", "FormSubmissionView"]
