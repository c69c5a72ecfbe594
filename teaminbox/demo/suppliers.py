"""What suppliers, the bank, the accountant and spammers send Atelier Moreau."""

# French typography (en dashes, curly quotes) is part of the demo's realism.

from __future__ import annotations

import random
from datetime import datetime, timedelta

from teaminbox.demo.attachments import simple_pdf
from teaminbox.demo.correspondents import (
    ASSURANCE,
    BANK,
    CARRELAGES,
    COMPTABLE,
    DISTRI_PLOMB,
    LOCAMAT,
    MATERIAUX_GIRARD,
    OFFICE,
    OFFICE_STREET,
    SPAMMERS,
    TELECOM,
    THERMOCONFORT,
    TOWN_HALL,
    Company,
)
from teaminbox.demo.letters import Attachment, Letter
from teaminbox.demo.office import TERMS_OF_SALE
from teaminbox.demo.wording import MONTHS_FR, business_day_after, euros, fr_day

PRODUCTS = (
    ("MT-220", "Mitigeur thermostatique douche", 89.90),
    ("CU-14", "Tube cuivre 14 mm, barre de 2 m", 18.40),
    ("PER-16", "Couronne PER 16 mm, 50 m", 46.00),
    ("RAC-15", "Raccords laiton 15x21 (lot de 10)", 24.50),
    ("SIL-B", "Mastic silicone sanitaire blanc", 7.90),
    ("VAN-20", "Vanne d'arrêt quart de tour 20x27", 12.30),
    ("SIP-40", "Siphon de lavabo PVC 40 mm", 6.80),
    ("CE-200", "Chauffe-eau électrique 200 L vertical", 389.00),
    ("GS-34", "Groupe de sécurité 3/4", 24.90),
    ("EV-100", "Tube PVC évacuation 100 mm, 4 m", 21.70),
    ("TEF-5", "Ruban PTFE (lot de 5)", 4.50),
    ("RD-90", "Receveur de douche extra-plat 90x90", 159.00),
    ("COL-C2", "Colle carrelage C2, sac de 25 kg", 22.90),
    ("JNT-G", "Joint carrelage gris, 5 kg", 14.20),
)
LEGAL_LINES = (
    "Conditions de paiement : 30 jours fin de mois, par virement.",
    "En cas de retard de paiement, pénalités au taux de 3 fois le taux d'intérêt légal.",
    "Indemnité forfaitaire pour frais de recouvrement : 40 euros (art. L441-10 C. com.).",
    "Pas d'escompte pour paiement anticipé.",
    "Réserve de propriété : les marchandises restent notre propriété jusqu'au paiement intégral.",
    "Société fictive créée pour une démonstration - aucun paiement n'est dû.",
)


def order_lines(rng: random.Random) -> tuple[list[tuple[str, str, int, float]], float]:
    """A random order: (reference, label, quantity, unit price) rows and the net total."""
    rows = [
        (ref, label, rng.randint(1, 12), price)
        for ref, label, price in rng.sample(PRODUCTS, rng.randint(3, 9))
    ]
    return rows, round(sum(qty * price for _ref, _label, qty, price in rows), 2)


def supplier_invoice(rng: random.Random, company: Company, when: datetime, serial: int) -> Letter:
    """A supplier's invoice, with the invoice itself as a PDF of a few KB."""
    number = f"{company.invoice_prefix}{when.year}-{serial:05d}"
    rows, net = order_lines(rng)
    if company in (ASSURANCE, COMPTABLE, TELECOM):
        label = {
            ASSURANCE: "Cotisation RC décennale – échéance trimestrielle",
            COMPTABLE: "Honoraires – tenue comptable et déclarations de TVA",
            TELECOM: "Abonnement Box Pro fibre + 2 lignes mobiles",
        }[company]
        net = {ASSURANCE: 612.50, COMPTABLE: 480.00, TELECOM: 64.99}[company]
        rows = [("-", label, 1, net)]
    vat = round(net * 0.20, 2)
    table = [
        f"{ref:<8} {label[:44]:<44} {qty:>3} x {euros(price):>12}"
        for ref, label, qty, price in rows
    ]
    pdf = simple_pdf(
        f"{company.name} – Facture n° {number}",
        [
            f"Date : {when:%d/%m/%Y}",
            f"Client : {OFFICE.name}, {OFFICE_STREET}",
            "N° client : 004217",
            "",
            *table,
            "",
            f"Total HT : {euros(net)}",
            f"TVA 20 % : {euros(vat)}",
            f"Total TTC : {euros(net + vat)}",
            "",
            *LEGAL_LINES,
        ],
        TERMS_OF_SALE,
    )
    subject = rng.choice(
        (
            f"Facture {number} – {company.name}",
            f"Votre facture n° {number}",
            f"{company.name} : facture {number} disponible",
        )
    )
    body = (
        f"Bonjour,\n\nVeuillez trouver ci-joint la facture n° {number} du {when:%d/%m/%Y}, "
        f"d'un montant de {euros(net + vat)} TTC.\n\n"
        f"Règlement à 30 jours fin de mois.\n\nService comptabilité\n{company.name}"
    )
    return Letter(
        company.party("factures", f"{company.name} – Comptabilité"),
        OFFICE,
        subject,
        body,
        attachments=(Attachment(f"Facture_{number}.pdf", "application/pdf", pdf),),
    )


def shipping_notice(rng: random.Random, when: datetime) -> Letter:
    """Distri-Plomb's dispatch notice: text and an HTML table of the parcel."""
    order = f"C-{rng.randint(100000, 999999)}"
    tracking = f"{rng.getrandbits(40):010X}"
    rows, net = order_lines(rng)
    text_rows = "\n".join(f"  {qty} x {label} ({ref})" for ref, label, qty, _p in rows)
    text = (
        f"Bonjour,\n\nVotre commande {order} a été expédiée ce jour.\n\n{text_rows}\n\n"
        f"Suivi du colis : https://suivi.distriplomb.example.com/colis/{tracking}\n"
        f"Livraison prévue : {fr_day(business_day_after(when, 1))}\n\nLe service logistique\n"
        "Distri-Plomb Centre"
    )
    html_rows = "".join(
        f'<tr><td style="padding:4px 8px;border-bottom:1px solid #ddd">{ref}</td>'
        f'<td style="padding:4px 8px;border-bottom:1px solid #ddd">{label}</td>'
        f'<td style="padding:4px 8px;border-bottom:1px solid #ddd;text-align:right">{qty}</td>'
        "</tr>"
        for ref, label, qty, _p in rows
    )
    html = (
        '<html><body style="margin:0;background:#f4f4f4;font-family:Arial,sans-serif">'
        '<table width="600" align="center" style="background:#fff;border-collapse:collapse">'
        f'<tr><td style="padding:16px;background:#00529b"><img src="{DISTRI_PLOMB.logo_url}"'
        ' alt="Distri-Plomb Centre" width="180" height="40"></td></tr>'
        f'<tr><td style="padding:16px"><h2 style="color:#00529b">Commande {order} expédiée</h2>'
        '<table style="border-collapse:collapse;width:100%"><tr style="background:#eef3f8">'
        '<th align="left" style="padding:4px 8px">Réf.</th>'
        '<th align="left" style="padding:4px 8px">Article</th>'
        '<th align="right" style="padding:4px 8px">Qté</th></tr>'
        f"{html_rows}</table>"
        f'<p>Montant HT : <strong>{euros(net)}</strong></p><p><a style="color:#00529b" '
        f'href="https://suivi.distriplomb.example.com/colis/{tracking}">Suivre mon colis</a>'
        "</p></td></tr></table></body></html>"
    )
    return Letter(
        DISTRI_PLOMB.party("logistique", "Distri-Plomb Centre – Logistique"),
        OFFICE,
        f"Avis d'expédition – commande {order}",
        text,
        html=html,
    )


def supplier_notice(rng: random.Random, when: datetime) -> Letter:
    """Day-to-day supplier mail: confirmations, shortages, rentals, after-sales."""
    choice = rng.randrange(7)
    if choice == 0:
        return shipping_notice(rng, when)
    order = rng.randint(10000, 99999)
    if choice == 1:
        company, sender, subject = DISTRI_PLOMB, "commandes", f"Confirmation de commande {order}"
        said = (
            f"Nous avons bien reçu votre commande n° {order}. Elle sera préparée aujourd'hui "
            "et disponible au comptoir de Saran à partir de 14 h."
        )
    elif choice == 2:
        company, sender = DISTRI_PLOMB, "commandes"
        subject = "Rupture temporaire : mitigeur thermostatique réf. MT-220"
        said = (
            "Le mitigeur thermostatique MT-220 de votre commande est en rupture chez le "
            f"fabricant. Réapprovisionnement prévu le {fr_day(when + timedelta(days=8))}. "
            "Nous pouvons vous proposer le modèle MT-240 au même prix. Merci de nous dire ce "
            "que vous préférez."
        )
    elif choice == 3:
        company, sender = LOCAMAT, "reservations"
        start = fr_day(business_day_after(when, 2))
        subject = f"Votre réservation n° {order} : carotteuse et aspirateur de chantier"
        said = (
            f"Nous confirmons la location d'une carotteuse diamant et d'un aspirateur de "
            f"chantier à partir du {start}, pour trois jours. Le matériel est à retirer "
            "à l'agence de Fleury-les-Aubrais à partir de 7 h 30. Caution : 800 €."
        )
    elif choice == 4:
        company, sender = THERMOCONFORT, "sav"
        subject = f"Dossier SAV n° {order} – pièce sous garantie expédiée"
        said = (
            f"La carte électronique demandée pour la chaudière de votre client (dossier {order}) "
            "est prise en charge au titre de la garantie et part aujourd'hui par transporteur. "
            "Merci de nous retourner la pièce défectueuse avec le bon joint."
        )
    elif choice == 5:
        company, sender = MATERIAUX_GIRARD, "livraisons"
        subject = "Livraison chantier – créneau confirmé"
        said = (
            f"Votre livraison (bon n° {order}) est confirmée pour le "
            f"{fr_day(business_day_after(when, 1))} entre 8 h et 10 h : 12 sacs de colle C2, "
            "6 sacs de ragréage, 1 palette de plaques de plâtre hydrofuges. Merci de prévoir "
            "un accès pour le camion-grue."
        )
    else:
        company, sender = CARRELAGES, "magasin"
        subject = "Vos échantillons sont disponibles"
        said = (
            "Les échantillons de grès cérame (gammes Loire et Sologne) demandés pour votre "
            "client sont disponibles en magasin. Nous les gardons de côté pendant 15 jours."
        )
    text = f"Bonjour,\n\n{said}\n\nCordialement,\n{company.name}"
    return Letter(company.party(sender), OFFICE, subject, text)


def admin_notice(rng: random.Random, when: datetime) -> Letter:
    """The bank, the accountant, the insurer or the town hall."""
    month = MONTHS_FR[(when.month - 2) % 12]  # last month
    of_month = f"d'{month}" if month[0] in "aeiou" else f"de {month}"
    choice = rng.randrange(4)
    if choice == 0:
        text = (
            f"Bonjour,\n\nVotre relevé de compte professionnel du mois {of_month} est "
            "disponible dans votre espace client : https://pro.banque-exemple.example.com/releves"
            "\n\nPour votre sécurité, nous ne vous demanderons jamais vos codes par e-mail.\n\n"
            "Banque Exemple Pro"
        )
        html = (
            '<html><body style="font-family:Georgia,serif;color:#222">'
            '<table width="560" style="border:1px solid #ccd"><tr><td style="padding:20px">'
            f"<p>Bonjour,</p><p>Votre relevé de compte du mois <b>{of_month}</b> est "
            'disponible.</p><p><a href="https://pro.banque-exemple.example.com/releves" '
            'style="background:#1a4d8f;color:#fff;padding:8px 14px;text-decoration:none">'
            "Consulter mon relevé</a></p>"
            '<p style="font-size:11px;color:#777">Nous ne vous demanderons jamais vos codes '
            "par e-mail.</p></td></tr></table></body></html>"
        )
        return Letter(
            BANK.party("ne-pas-repondre", "Banque Exemple Pro"),
            OFFICE,
            f"Votre relevé de compte {of_month} est disponible",
            text,
            html=html,
        )
    if choice == 1:
        text = (
            f"Bonjour Monsieur Moreau,\n\nPour établir la déclaration de TVA {of_month}, il "
            "nous manque encore :\n\n- les factures d'achat Distri-Plomb de la fin du mois ;\n"
            "- le justificatif de la location LocaMat ;\n- deux factures clients (chantiers "
            "Olivet et Saint-Jean-de-Braye).\n\nVous pouvez les déposer sur "
            "https://depot.cabinet-renaud.example.com avant le 15.\n\nBien à vous,\n"
            "Claire Renaud\nCabinet Renaud Expertise Comptable"
        )
        return Letter(
            COMPTABLE.party("claire.renaud", "Claire Renaud"),
            OFFICE,
            f"Pièces manquantes pour la TVA {of_month}",
            text,
        )
    if choice == 2:
        pdf = simple_pdf(
            f"Attestation d'assurance responsabilité décennale {when.year}",
            [
                f"Assuré : {OFFICE.name}, {OFFICE_STREET}",
                "Activités : plomberie, chauffage, carrelage, petite maçonnerie",
                f"Période de validité : du 01/01/{when.year} au 31/12/{when.year}",
                *LEGAL_LINES[-1:],
            ],
        )
        return Letter(
            ASSURANCE.party("attestations", "Mutuelle des Artisans – Attestations"),
            OFFICE,
            f"Votre attestation d'assurance décennale {when.year}",
            "Bonjour,\n\nVous trouverez ci-joint votre attestation d'assurance décennale, à "
            "remettre à vos clients avec vos devis.\n\nMutuelle des Artisans Assurances",
            attachments=(
                Attachment(f"Attestation_decennale_{when.year}.pdf", "application/pdf", pdf),
            ),
        )
    street = rng.choice(("rue Bannier", "rue de Bourgogne", "rue Jeanne-d'Arc"))
    text = (
        f"Madame, Monsieur,\n\nVotre demande d'occupation du domaine public pour une benne "
        f"de chantier {street}, du {fr_day(business_day_after(when, 5))} pour cinq jours, "
        "est accordée. L'arrêté doit être affiché sur la benne pendant toute la durée "
        "de l'occupation.\n\n"
        "Service voirie\nMairie d'Orléans"
    )
    return Letter(
        TOWN_HALL.party("occupation-domaine-public", "Mairie d'Orléans – Voirie"),
        OFFICE,
        f"Autorisation d'occupation du domaine public – benne {street}",
        text,
    )


def spam(rng: random.Random) -> Letter:
    """Unwanted mail, the kind that ends up in the bin."""
    sender = rng.choice(SPAMMERS)
    if sender.lang == "en":
        subject = "Rank #1 on search engines for your plumbing business"
        text = (
            "Hi,\n\nWe noticed your website is not on the first page for 'plumber Orleans'. "
            "Our experts guarantee first place in 30 days!\n\nReply YES to learn more."
        )
    elif "colis" in sender.address:
        subject = "Votre colis est en attente de livraison"
        text = (
            "Votre colis n'a pas pu être livré. Réglez 1,99 € de frais de réexpédition "
            "ici : http://livraison-rapide.invalid/payer"
        )
    else:
        subject = "Félicitations ! Vous avez été sélectionné"
        text = "Vous avez gagné un aspirateur-robot. Cliquez vite : http://promo-cadeau.invalid/"
    return Letter(sender, OFFICE, subject, text)
