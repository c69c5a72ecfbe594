"""What the office writes: answers to customers, quotes and invoices with PDFs."""

# French typography (en dashes, curly quotes) is part of the demo's realism.

from __future__ import annotations

import random
from datetime import datetime

from teaminbox.demo.attachments import simple_pdf
from teaminbox.demo.correspondents import OFFICE, OFFICE_STREET, SITE_MANAGER, STAFF, Party
from teaminbox.demo.customers import Job
from teaminbox.demo.letters import Attachment, Envelope, Letter
from teaminbox.demo.wording import (
    business_day_after,
    en_day,
    euros,
    fr_day,
    quoted,
    reply_subject,
)

# Printed on the second page of quotes and invoices.
TERMS_OF_SALE = (
    "Article 1 - Objet. Les présentes conditions s'appliquent à toutes les prestations et",
    "ventes de l'entreprise, sauf accord écrit contraire.",
    "Article 2 - Devis. Les devis sont gratuits et valables trois mois. Toute modification",
    "demandée en cours de chantier fait l'objet d'un avenant chiffré.",
    "Article 3 - Prix. Les prix s'entendent hors taxes ; la TVA applicable est celle en",
    "vigueur à la date de facturation (10 % pour les travaux de rénovation éligibles).",
    "Article 4 - Acompte. Un acompte de 30 % est demandé à la commande, le solde à la",
    "réception des travaux.",
    "Article 5 - Délais. Les délais sont donnés à titre indicatif ; un retard ne peut donner",
    "lieu à pénalité que s'il a été convenu par écrit.",
    "Article 6 - Réception. La réception des travaux fait l'objet d'un procès-verbal signé",
    "des deux parties, avec ou sans réserves.",
    "Article 7 - Garanties. Les travaux bénéficient de la garantie de parfait achèvement (1",
    "an), de la garantie biennale et, le cas échéant, de la garantie décennale.",
    "Article 8 - Paiement. Tout retard de paiement entraîne des pénalités au taux de 3 fois",
    "le taux d'intérêt légal et une indemnité forfaitaire de 40 euros.",
    "Article 9 - Réserve de propriété. Les fournitures restent la propriété de l'entreprise",
    "jusqu'au paiement intégral du prix.",
    "Article 10 - Médiation. En cas de litige, le client consommateur peut recourir",
    "gratuitement à un médiateur de la consommation.",
    "Article 11 - Données personnelles. Les données du client ne servent qu'au suivi de sa",
    "commande et ne sont jamais cédées à des tiers.",
    "Document fictif créé pour une démonstration - aucune somme n'est due.",
)


def office_signature(staff: tuple[str, str], lang: str) -> str:
    name, role = staff
    closing = "Kind regards," if lang == "en" else "Bien cordialement,"
    return (
        f"{closing}\n\n{name}\n{role} – {OFFICE.name}\n"
        f"Plomberie · Chauffage · Rénovation\n{OFFICE_STREET} – {OFFICE.phone}\n"
        "https://www.office.test"
    )


def office_reply(
    rng: random.Random, parent: Letter, envelope: Envelope, when: datetime, kind: str
) -> Letter:
    """The office answers a customer: `kind` is "quote", "appointment" or "complaint".

    Proposes two visit slots in the following working days.
    """
    customer = parent.reply_to or parent.sender
    en = customer.lang == "en"
    first, second = business_day_after(when, rng.randint(1, 3)), business_day_after(when, 4)
    hour1, hour2 = rng.choice(("8h30", "9h", "10h30", "14h")), rng.choice(("11h", "15h30", "17h"))
    if en:
        slots = f"{en_day(first)} at {hour1.replace('h', ':').rstrip(':')} or {en_day(second)}"
        said = {
            "quote": "Thank you for your enquiry. To prepare an accurate quote we need to see "
            f"the place first. Could we visit on {slots}?",
            "appointment": f"Thank you for your message. We can come on {slots}. "
            "Please let us know which suits you.",
            "complaint": "We are very sorry about this. Our site manager will come to see the "
            f"damage on {slots} and we will put it right at our expense.",
        }[kind]
    else:
        slots = f"{fr_day(first)} à {hour1}, ou {fr_day(second)} à {hour2}"
        said = {
            "quote": "Merci pour votre demande. Afin d'établir un devis précis, nous devons "
            f"d'abord voir les lieux. Nous vous proposons une visite le {slots}. "
            "Merci de nous indiquer ce qui vous convient.",
            "appointment": f"Merci pour votre message. Nous pouvons passer le {slots}. "
            "Dites-nous quel créneau vous convient le mieux.",
            "complaint": "Nous sommes sincèrement désolés de ce désagrément. Notre chef de "
            f"chantier passera constater le problème le {slots}, et la reprise sera bien sûr "
            "à notre charge.",
        }[kind]
    staff = STAFF[1] if kind == "complaint" else rng.choice(STAFF[:2])
    body = (
        f"{'Hello' if en else 'Bonjour'},\n\n{said}\n\n{office_signature(staff, customer.lang)}"
        f"\n\n{quoted(parent, envelope, customer.lang, 1)}"
    )
    subject = reply_subject(parent.subject, customer.lang)
    cc = SITE_MANAGER if kind == "complaint" else None
    return Letter(OFFICE, customer, subject, body, cc=cc)


def office_quote(
    rng: random.Random,
    customer: Party,
    job: Job,
    number: str,
    parent: tuple[Letter, Envelope] | None = None,
) -> Letter:
    """The office sends a quote as a PDF, in reply to `parent` if given."""
    en = customer.lang == "en"
    amount = rng.randint(job.low, job.high) + rng.choice((0.0, 0.5, 0.8))
    pdf = simple_pdf(
        f"Devis n° {number}",
        [
            f"{OFFICE.name} – {OFFICE_STREET}",
            f"Client : {customer.name}, {customer.street}",
            f"Objet : {job.fr}",
            "",
            *invoice_lines(rng, amount),
            "",
            "Devis valable trois mois. Acompte de 30 % à la commande.",
            "Bon pour accord (date et signature) :",
        ],
        TERMS_OF_SALE,
    )
    if en:
        said = (
            f"Please find attached our quote {number} for {job.en}, for a total of "
            f"{euros(amount)} including VAT. It is valid for three months."
        )
    else:
        said = (
            f"Veuillez trouver ci-joint notre devis n° {number} ({job.fr}), d'un montant "
            f"de {euros(amount)} TTC, valable trois mois. Pour l'accepter, il suffit "
            "de nous le renvoyer signé avec la mention « Bon pour accord »."
        )
    body = (
        f"{'Hello' if en else 'Bonjour'},\n\n{said}\n\n{office_signature(STAFF[1], customer.lang)}"
    )
    subject = f"Devis {number} – {job.fr}" if not en else f"Quote {number} – {job.en}"
    if parent is not None:
        body += "\n\n" + quoted(parent[0], parent[1], customer.lang, 1)
        subject = reply_subject(parent[0].subject, customer.lang)
    attachment = Attachment(f"Devis_{number}.pdf", "application/pdf", pdf)
    return Letter(OFFICE, customer, subject, body, attachments=(attachment,))


def office_invoice(rng: random.Random, customer: Party, job: Job, number: str) -> Letter:
    """The office bills a customer for finished work."""
    amount = rng.randint(job.low, job.high) + 0.0
    pdf = simple_pdf(
        f"Facture n° {number}",
        [f"Client : {customer.name}, {customer.street}", f"Objet : {job.fr}", "",
         *invoice_lines(rng, amount), "", "Paiement à réception. Pénalités de retard : 3 fois "
         "le taux d'intérêt légal. Indemnité forfaitaire de recouvrement : 40 €."],
        TERMS_OF_SALE,
    )  # fmt: skip
    body = (
        f"Bonjour,\n\nLes travaux étant terminés, veuillez trouver ci-joint notre facture "
        f"n° {number} d'un montant de {euros(amount)} TTC.\n\nNous vous remercions de votre "
        f"confiance.\n\n{office_signature(STAFF[0], 'fr')}"
    )
    attachment = Attachment(f"Facture_{number}.pdf", "application/pdf", pdf)
    return Letter(OFFICE, customer, f"Facture {number} – {job.fr}", body, attachments=(attachment,))


def invoice_lines(rng: random.Random, total_incl_vat: float) -> list[str]:
    """Lines of a bill adding up to `total_incl_vat` (VAT at 10 %, renovation rate)."""
    net = round(total_incl_vat / 1.10, 2)
    labour = round(net * rng.uniform(0.35, 0.55), 2)
    travel = 45.0
    supplies = round(net - labour - travel, 2)
    return [
        f"Fournitures et matériel .......... {euros(supplies)}",
        f"Main-d'oeuvre ..................... {euros(labour)}",
        f"Déplacement ....................... {euros(travel)}",
        f"Total HT .......................... {euros(net)}",
        f"TVA 10 % .......................... {euros(round(total_incl_vat - net, 2))}",
        f"Total TTC ......................... {euros(total_incl_vat)}",
    ]
