"""What customers write to Atelier Moreau: one function per kind of letter.

Every function draws its choices from the `random.Random` it is given, so a
seed fixes the whole mailbox. The caller decides when a letter is sent.
"""

# French typography (en dashes, curly quotes) is part of the demo's realism.

from __future__ import annotations

import random
from dataclasses import dataclass

from teaminbox.demo.attachments import simple_pdf, tiny_png
from teaminbox.demo.correspondents import OFFICE, WEB_FORM, Party
from teaminbox.demo.letters import Attachment, Envelope, InlineImage, Letter
from teaminbox.demo.wording import quoted, reply_subject


@dataclass(frozen=True)
class Job:
    """A piece of work a customer asks about, in both languages."""

    fr: str
    en: str
    detail_fr: str
    detail_en: str
    low: int  # typical price range, euros incl. VAT
    high: int


JOBS = (
    Job("rénovation de salle de bain", "bathroom refurbishment",
        "Nous souhaitons rénover entièrement notre salle de bain (environ 6 m²) : "
        "remplacer la baignoire par une douche à l'italienne, changer le meuble vasque "
        "et refaire le carrelage mural.",
        "We would like to refurbish our bathroom (about 6 m²): replace the bath with a "
        "walk-in shower, fit a new vanity unit and retile the walls.", 6500, 14000),
    Job("remplacement de chauffe-eau", "hot water cylinder replacement",
        "Notre chauffe-eau électrique de 200 litres a plus de quinze ans et fait un bruit "
        "inquiétant. Nous aimerions le remplacer, peut-être par un modèle thermodynamique.",
        "Our 200-litre hot water cylinder is over fifteen years old and makes worrying "
        "noises. We would like to replace it, possibly with a heat-pump model.", 1200, 3800),
    Job("remplacement de chaudière gaz", "gas boiler replacement",
        "Notre chaudière gaz date de 2006 et tombe régulièrement en panne. Pouvez-vous "
        "nous proposer une chaudière à condensation ?",
        "Our gas boiler dates from 2006 and keeps breaking down. Could you quote for a "
        "condensing boiler?", 3500, 6500),
    Job("plomberie de cuisine", "kitchen plumbing",
        "Nous refaisons notre cuisine et devons déplacer l'évier de deux mètres, avec les "
        "arrivées d'eau et l'évacuation.",
        "We are fitting a new kitchen and need the sink moved two metres, with its supply "
        "and waste pipes.", 800, 2200),
    Job("pose de carrelage", "floor tiling",
        "Il s'agit de poser environ 25 m² de carrelage au sol (grès cérame 60x60) dans le "
        "séjour, après dépose de l'ancien revêtement.",
        "We need about 25 m² of 60x60 porcelain floor tiles laid in the living room, after "
        "removing the old flooring.", 2500, 4800),
    Job("remplacement de radiateurs", "radiator replacement",
        "Nous voudrions remplacer quatre radiateurs en fonte par des radiateurs à eau "
        "chaude plus récents.",
        "We would like four old cast-iron radiators replaced with modern ones.", 1800, 3600),
    Job("création d'un WC à l'étage", "an upstairs toilet",
        "Nous aimerions créer un WC à l'étage, dans un placard existant ; l'évacuation "
        "pourrait passer par la salle de bain voisine.",
        "We would like a toilet upstairs, in an existing cupboard next to the bathroom.",
        1500, 3200),
    Job("installation d'un adoucisseur", "water softener installation",
        "L'eau est très calcaire chez nous et nous pensons installer un adoucisseur. "
        "Pouvez-vous nous conseiller et chiffrer l'installation ?",
        "Our water is very hard and we are thinking of a water softener. Could you advise "
        "us and quote for the installation?", 1400, 2600),
    Job("mise aux normes de la plomberie", "replumbing an old house",
        "Nous venons d'acheter une maison des années 70 et souhaitons faire vérifier puis "
        "mettre aux normes la plomberie (il reste des tuyaux en plomb).",
        "We have just bought a 1970s house and would like the plumbing checked and brought "
        "up to standard (there are still some lead pipes).", 4000, 9000),
    Job("réparation d'une fuite", "a leak repair",
        "Nous avons une fuite sous l'évier de la cuisine : le meuble est trempé et le "
        "robinet d'arrêt ne ferme plus complètement.",
        "There is a leak under the kitchen sink: the cabinet is soaked and the stop valve "
        "no longer closes fully.", 150, 450),
)  # fmt: skip

HOMES_FR = (
    "Il s'agit d'une maison individuelle de plain-pied.",
    "Nous habitons un appartement au 3e étage sans ascenseur.",
    "C'est une maison ancienne, avec un accès un peu étroit.",
    "Le logement est un appartement en copropriété, l'accord du syndic est déjà obtenu.",
    "La maison date de 1985, avec un sous-sol où passent les canalisations.",
)
TIMING_FR = (
    "Les travaux pourraient commencer dès le mois prochain.",
    "Nous ne sommes pas pressés, idéalement avant l'été.",
    "C'est assez urgent, nous aimerions une intervention rapide si possible.",
    "Nous sommes absents la deuxième quinzaine du mois prochain.",
    "Nous avons déjà un autre devis et aimerions comparer.",
)
CLOSINGS_FR = ("Cordialement,", "Bien cordialement,", "Merci d'avance,", "Bonne journée,")


def customer_signature(customer: Party, rng: random.Random) -> str:
    closing = "Best regards," if customer.lang == "en" else rng.choice(CLOSINGS_FR)
    lines = [closing, customer.name]
    if rng.random() < 0.6:
        lines.append(customer.phone)
    return "\n".join(lines)


def quote_request(rng: random.Random, customer: Party, job: Job, *, via_form: bool) -> Letter:
    """A customer asks for a quote, by mail or through the web site's form."""
    if customer.lang == "en":
        subject = rng.choice(
            (f"Quote request: {job.en}", f"Could you quote for {job.en}?", f"{job.en.capitalize()}")
        )
        body = (
            f"Hello,\n\n{job.detail_en}\n\nThe address is {customer.street}. "
            "Sorry for writing in English, my French is not good enough for this.\n\n"
            f"Could you let me know when you could come and have a look?\n\n"
            + customer_signature(customer, rng)
        )
    else:
        subject = rng.choice(
            (
                f"Demande de devis – {job.fr}",
                f"Devis {job.fr}",
                f"Demande de devis pour {job.fr}",
                f"{job.fr.capitalize()} – demande de devis",
            )
        )
        body = (
            f"Bonjour,\n\n{job.detail_fr} {rng.choice(HOMES_FR)}\n\n"
            f"{rng.choice(TIMING_FR)}\n\nAdresse du chantier : {customer.street}\n\n"
            f"Pourriez-vous nous faire parvenir un devis ? Je suis joignable au "
            f"{customer.phone}.\n\n" + customer_signature(customer, rng)
        )
    if not via_form:
        return Letter(customer, OFFICE, subject, body)
    form_text = (
        "Nouvelle demande envoyée depuis le formulaire https://www.office.test/contact\n\n"
        f"Nom : {customer.name}\nE-mail : {customer.address}\nTéléphone : {customer.phone}\n"
        f"Adresse des travaux : {customer.street}\nType de demande : Devis\n\nMessage :\n"
        f"{body}\n\n-- \nMessage envoyé automatiquement par le site. Répondre à ce message "
        f"écrit directement à {customer.name}."
    )
    return Letter(
        WEB_FORM,
        OFFICE,
        f"[Formulaire de contact] {subject}",
        form_text,
        reply_to=customer,
        extra_headers=(("Auto-Submitted", "auto-generated"),),
    )


APPOINTMENTS_FR = (
    ("Entretien annuel de la chaudière",
     "Comme chaque année, je souhaiterais prendre rendez-vous pour l'entretien de notre "
     "chaudière. Nous sommes disponibles plutôt en matinée."),
    ("Demande de passage d'un technicien",
     "Notre ballon d'eau chaude ne chauffe plus depuis hier soir. Un technicien pourrait-il "
     "passer cette semaine ? Le disjoncteur ne saute pas."),
    ("Rendez-vous pour la visite technique",
     "Suite à notre échange téléphonique, je vous confirme que nous sommes disponibles pour "
     "la visite technique en fin de semaine."),
    ("Report de notre rendez-vous",
     "Nous avons un empêchement et ne pourrons pas être présents au rendez-vous prévu. "
     "Serait-il possible de le décaler à la semaine suivante ?"),
    ("Disponibilités pour passer voir la fuite ?",
     "Une tache d'humidité apparaît au plafond de la cuisine, sous la salle de bain. "
     "Pourriez-vous passer voir d'où vient la fuite ?"),
)  # fmt: skip
APPOINTMENTS_EN = (
    ("Boiler service appointment",
     "Could we book the yearly service of our boiler? Mornings suit us best."),
    ("Could a plumber come round this week?",
     "The toilet keeps running and the cistern does not refill properly. Could someone "
     "come and have a look this week?"),
)  # fmt: skip


def appointment_request(rng: random.Random, customer: Party) -> Letter:
    """A customer asks for, or moves, an appointment."""
    pool = APPOINTMENTS_EN if customer.lang == "en" else APPOINTMENTS_FR
    subject, detail = rng.choice(pool)
    greeting = "Hello" if customer.lang == "en" else "Bonjour"
    where = (
        f"Address: {customer.street}" if customer.lang == "en" else f"Adresse : {customer.street}"
    )
    body = f"{greeting},\n\n{detail}\n\n{where}\n\n" + customer_signature(customer, rng)
    return Letter(customer, OFFICE, subject, body)


COMPLAINTS_FR = (
    ("Réclamation : fuite après intervention",
     "Votre technicien est intervenu la semaine dernière pour remplacer le mitigeur de la "
     "cuisine. Depuis, une fuite est apparue sous l'évier et le meuble est abîmé. Je vous "
     "demande de revenir au plus vite et de prendre en charge la réparation du meuble."),
    ("Travaux non terminés",
     "Les travaux de la salle de bain devaient être terminés vendredi. Il manque toujours "
     "les joints et la porte de douche, et personne ne nous a prévenus du retard."),
    ("Contestation de la facture",
     "La facture reçue ne correspond pas au devis signé : deux heures de main-d'œuvre "
     "supplémentaires ont été ajoutées sans que nous en ayons été informés."),
    ("Technicien absent au rendez-vous",
     "J'ai posé une demi-journée de congé pour le rendez-vous de ce matin, mais personne "
     "n'est venu et je n'ai reçu aucun appel. C'est la deuxième fois."),
    ("Joint de douche qui se décolle déjà",
     "Le joint silicone de la douche, posé il y a trois semaines, se décolle déjà sur toute "
     "la longueur. L'eau passe derrière le receveur."),
    ("Dégâts dans l'entrée après les travaux",
     "Après le passage de votre équipe, le parquet de l'entrée est rayé sur deux mètres. "
     "Je souhaite savoir comment vous comptez régler ce problème."),
)  # fmt: skip
COMPLAINTS_EN = (
    ("Complaint: water stain on the ceiling after your repair",
     "Two days after your plumber repaired the shower valve, a water stain appeared on the "
     "ceiling below. I would like someone to come back urgently."),
)  # fmt: skip


def complaint(rng: random.Random, customer: Party, index: int | None = None) -> Letter:
    """An unhappy customer; `index` picks a given complaint instead of a random one."""
    pool = COMPLAINTS_EN if customer.lang == "en" else COMPLAINTS_FR
    subject, detail = pool[index % len(pool)] if index is not None else rng.choice(pool)
    if customer.lang == "en":
        body = f"Hello,\n\n{detail}\n\nI look forward to your answer.\n\n{customer.name}"
    else:
        body = (
            f"Madame, Monsieur,\n\n{detail}\n\nDans l'attente de votre réponse rapide,\n\n"
            f"{customer.name}\n{customer.street}\n{customer.phone}"
        )
    return Letter(customer, OFFICE, subject, body)


def photo_message(rng: random.Random, customer: Party, serial: int) -> Letter:
    """An HTML mail showing a photo inline (multipart/related, `cid:`)."""
    cid = f"photo{serial}.{rng.getrandbits(32):08x}@{customer.domain}"
    tint = rng.choice(((40, 110, 200), (150, 90, 40), (90, 150, 90), (120, 120, 130)))
    image = InlineImage(cid, f"IMG_{2000 + serial * 37}.png", tiny_png(32, 24, tint))
    if customer.lang == "en":
        subject, said = "Photo of the problem", "Here is a photo of the problem, as promised."
    else:
        subject, said = rng.choice(
            (
                ("Photo de la fuite", "Voici la photo de la fuite sous l'évier, comme convenu."),
                ("Photos pour le devis", "Comme demandé, voici une photo de la pièce à rénover."),
                ("Tache au plafond", "Voici à quoi ressemble la tache au plafond ce matin."),
            )
        )
    text = f"{said}\n\n[image : {image.filename}]\n\n{customer.name}\n{customer.phone}"
    html = (
        '<html><body style="font-family: Arial, sans-serif; font-size: 14px;">'
        f"<p>{said}</p>"
        f'<p><img src="cid:{cid}" alt="{image.filename}" width="320" height="240"'
        ' style="border: 1px solid #ccc;"></p>'
        f'<p style="color: #555;">{customer.name}<br>{customer.phone}</p>'
        "</body></html>"
    )
    return Letter(customer, OFFICE, subject, text, html=html, inline_image=image)


def customer_followup(
    rng: random.Random, customer: Party, parent: Letter, envelope: Envelope, *, accept: bool
) -> Letter:
    """The customer answers the office: takes the proposed date, or accepts a quote."""
    en = customer.lang == "en"
    if accept:
        said = (
            "Thank you, the quote is fine with us. Please find it attached, signed."
            if en
            else "Merci pour le devis, il nous convient. Vous le trouverez ci-joint, signé "
            "avec la mention « Bon pour accord ». Quand pourriez-vous commencer ?"
        )
        signed = Attachment(
            "devis-signe.pdf" if not en else "signed-quote.pdf",
            "application/pdf",
            simple_pdf("Devis signé – Bon pour accord", [customer.name, customer.street]),
        )
        attachments: tuple[Attachment, ...] = (signed,)
    else:
        said = rng.choice(
            ("That works for us, thank you. See you then.",)
            if en
            else (
                "Merci, le premier créneau nous convient parfaitement.",
                "Parfait, nous serons là. Le code de la porte d'entrée est 4512B.",
                "Le second créneau serait mieux pour nous, merci.",
            )
        )
        attachments = ()
    body = f"{said}\n\n{customer_signature(customer, rng)}\n\n" + quoted(
        parent, envelope, customer.lang, rng.randrange(2)
    )
    return Letter(
        customer, OFFICE, reply_subject(parent.subject, customer.lang), body,
        attachments=attachments,
    )  # fmt: skip
