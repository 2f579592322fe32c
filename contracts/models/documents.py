"""Documents filed with a contract itself (the signed contract), kept through the storage API."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .contract import Contract


class ContractDocumentKind(models.TextChoices):
    SIGNED_CONTRACT = "SIGNED_CONTRACT", _("Contrat signé")


def contract_document_upload_path(instance, filename):
    return f"contracts/{instance.contract_id}/{instance.kind.lower()}/{filename}"


class ContractDocument(models.Model):
    """A file of the contract; its SHA-256 is also in the journal."""

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="documents", verbose_name=_("contrat")
    )
    kind = models.CharField(_("nature"), max_length=20, choices=ContractDocumentKind.choices)
    file = models.FileField(_("fichier"), upload_to=contract_document_upload_path)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("taille (octets)"))
    content_type = models.CharField(_("type de contenu"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("déposé par")
    )
    uploaded_at = models.DateTimeField(_("déposé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("document du contrat")
        verbose_name_plural = _("documents du contrat")
        ordering = ["uploaded_at"]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.contract.reference}"

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]
