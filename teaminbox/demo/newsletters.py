"""Marketing mail as it really arrives: table layouts, inline CSS, remote images.

Each newsletter loads a remote logo and a 1x1 tracking image
(https://tracker.example.net/open.gif?id=…), so that the app's HTML
sanitising and remote-content blocking have something to do.
"""

# French typography (en dashes, curly quotes) is part of the demo's realism.

from __future__ import annotations

import random
from datetime import datetime, timedelta
from html import escape

from teaminbox.demo.correspondents import BATINEWS, DISTRI_PLOMB, MAG_ARTISAN, OFFICE, Company
from teaminbox.demo.letters import Letter
from teaminbox.demo.wording import euros, fr_day

ARTICLES = (
    ("Rénovation énergétique : ce qui change pour les aides",
     "Plafonds de ressources, nouveaux forfaits : le point sur les aides aux travaux."),
    ("Pompes à chaleur : les erreurs de dimensionnement à éviter",
     "Trois retours de chantier et les bons réflexes pour choisir la puissance."),
    ("Plomb dans les canalisations : obligations et diagnostics",
     "Ce que vous devez signaler à vos clients lors d'une rénovation."),
    ("Douche à l'italienne : réussir l'étanchéité sous carrelage",
     "Systèmes d'étanchéité liquide ou natte : comparatif et mise en œuvre."),
    ("Facturation électronique : le calendrier pour les artisans",
     "Quand devrez-vous émettre vos factures au format électronique ?"),
    ("Recrutement : attirer des apprentis dans le bâtiment",
     "Aides à l'embauche et témoignages d'entreprises de la région."),
    ("Chauffe-eau thermodynamique : installation pas à pas",
     "Emplacement, évacuation des condensats et réglages."),
)  # fmt: skip
PROMOS = (
    ("MT-220", "Mitigeur thermostatique douche", 89.90, 20),
    ("CE-200", "Chauffe-eau électrique 200 L", 389.00, 15),
    ("RD-90", "Receveur extra-plat 90x90", 159.00, 25),
    ("PER-16", "Couronne PER 16 mm, 50 m", 46.00, 10),
    ("PAC-8", "Pompe à chaleur air/eau 8 kW", 4290.00, 12),
    ("WC-S", "Pack WC suspendu avec bâti-support", 329.00, 18),
)


def newsletter(rng: random.Random, company: Company, when: datetime, issue: int) -> Letter:
    """One issue of a company's newsletter, as text and HTML alternatives."""
    token = f"{rng.getrandbits(64):016x}"
    base = f"https://{company.domain}"
    tracker = f"https://tracker.example.net/open.gif?id={token}"
    if company is DISTRI_PLOMB:
        subject = rng.choice(
            ("Les promos du mois chez Distri-Plomb", "Jusqu'à -25 % sur le sanitaire")
        )
        content_html, content_text = _promotions(rng, base)
    elif company is BATINEWS or company is MAG_ARTISAN:
        subject = f"{company.name} n° {issue} – {rng.choice(ARTICLES)[0]}"
        content_html, content_text = _articles(rng, base)
    else:
        fair = when + timedelta(days=23)
        subject = f"Invitation : {company.name}, le {fr_day(fair)} au Parc des expositions"
        content_html, content_text = _invitation(fair, base)
    unsubscribe = f"{base}/desinscription?u={token}"
    html = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>'
        f"{escape(subject)}</title></head>"
        '<body style="margin:0;padding:0;background-color:#eceff1">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
        'style="background-color:#eceff1"><tr><td align="center">'
        '<table role="presentation" width="600" cellpadding="0" cellspacing="0" '
        'style="background:#ffffff;font-family:Helvetica,Arial,sans-serif;color:#263238">'
        f'<tr><td style="padding:20px;border-bottom:3px solid #f57c00">'
        f'<a href="{base}/?utm_source=newsletter&amp;utm_medium=email">'
        f'<img src="{company.logo_url}" alt="{escape(company.name)}" width="200" height="48" '
        'style="display:block;border:0"></a></td></tr>'
        f'<tr><td style="padding:20px">{content_html}</td></tr>'
        '<tr><td style="padding:16px;font-size:11px;color:#78909c;background:#f5f5f5">'
        f"Vous recevez cet e-mail car vous êtes client de {escape(company.name)}. "
        f'<a href="{unsubscribe}" style="color:#78909c">Se désinscrire</a>'
        "</td></tr></table></td></tr></table>"
        f'<img src="{tracker}" width="1" height="1" alt="" style="display:none">'
        "</body></html>"
    )
    text = (
        f"{subject}\n\n{content_text}\n\n--\nSe désinscrire : {unsubscribe}\n"
        f"Version en ligne : {base}/newsletter/{issue}"
    )
    return Letter(
        company.party("newsletter"),
        OFFICE,
        subject,
        text,
        html=html,
        extra_headers=(
            ("List-Id", f"{company.name} <newsletter.{company.domain}>"),
            ("List-Unsubscribe", f"<{unsubscribe}>, <mailto:unsubscribe@{company.domain}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("Precedence", "bulk"),
        ),
    )


def _articles(rng: random.Random, base: str) -> tuple[str, str]:
    picked = rng.sample(ARTICLES, 3)
    html = "".join(
        '<table role="presentation" width="100%" style="margin-bottom:18px"><tr>'
        f'<td style="font-size:18px;font-weight:bold;color:#e65100">{escape(title)}</td></tr>'
        f'<tr><td style="font-size:14px;line-height:1.5">{escape(summary)} '
        f'<a href="{base}/articles/{n}?utm_source=newsletter" style="color:#0277bd">'
        "Lire la suite »</a></td></tr></table>"
        for n, (title, summary) in enumerate(picked, start=rng.randint(100, 900))
    )
    text = "\n\n".join(f"* {title}\n  {summary}" for title, summary in picked)
    return html, text


def _promotions(rng: random.Random, base: str) -> tuple[str, str]:
    picked = rng.sample(PROMOS, 4)
    rows = "".join(
        f'<tr><td style="padding:6px;border:1px solid #ddd">{ref}</td>'
        f'<td style="padding:6px;border:1px solid #ddd">{escape(label)}</td>'
        f'<td style="padding:6px;border:1px solid #ddd;text-decoration:line-through;'
        f'color:#999">{euros(price)}</td>'
        f'<td style="padding:6px;border:1px solid #ddd;color:#c62828;font-weight:bold">'
        f"{euros(price * (100 - off) / 100)}</td></tr>"
        for ref, label, price, off in picked
    )
    html = (
        '<h1 style="font-size:22px;color:#c62828">Les promos du mois</h1>'
        '<table style="border-collapse:collapse;width:100%;font-size:13px">'
        '<tr style="background:#fbe9e7"><th style="padding:6px">Réf.</th>'
        '<th style="padding:6px">Article</th><th style="padding:6px">Prix HT</th>'
        f'<th style="padding:6px">Prix promo</th></tr>{rows}</table>'
        f'<p><a href="{base}/promos?utm_source=newsletter" style="background:#c62828;'
        'color:#fff;padding:10px 16px;text-decoration:none;display:inline-block">'
        "Voir toutes les offres</a></p>"
    )
    text = "\n".join(
        f"{ref}  {label} : {euros(price * (100 - off) / 100)} au lieu de {euros(price)}"
        for ref, label, price, off in picked
    )
    return html, text + f"\n\nToutes les offres : {base}/promos"


def _invitation(fair: datetime, base: str) -> tuple[str, str]:
    html = (
        '<h1 style="font-size:24px;color:#2e7d32">Salon Habitat &amp; Rénovation</h1>'
        f'<p style="font-size:15px">Retrouvez 180 exposants le <b>{fr_day(fair)}</b> au Parc '
        "des expositions d'Orléans. Entrée gratuite pour les professionnels sur "
        "présentation de ce badge.</p>"
        f'<p><a href="{base}/badge?utm_source=newsletter" style="background:#2e7d32;'
        'color:#fff;padding:10px 16px;text-decoration:none">Télécharger mon badge</a></p>'
    )
    text = (
        f"Retrouvez 180 exposants le {fr_day(fair)} au Parc des expositions d'Orléans.\n"
        f"Badge gratuit : {base}/badge"
    )
    return html, text
