"""Who writes to Atelier Moreau, a small plumbing and renovation firm near Orléans.

Every name is invented. Addresses use only reserved domains (example.com,
example.net, example.org and the .test / .invalid top-level domains), and
telephone numbers come from the ranges ARCEP reserves for fiction.
"""

# French typography (en dashes, curly quotes) is part of the demo's realism.

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Party:
    """A correspondent: `lang` is "fr" or "en"; `latin1` marks an old mail program
    that writes ISO-8859-1 instead of UTF-8."""

    name: str
    address: str
    lang: str = "fr"
    latin1: bool = False
    phone: str = ""
    street: str = ""

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


@dataclass(frozen=True)
class Company:
    """A supplier or sender of newsletters, with the department that writes."""

    name: str
    domain: str
    invoice_prefix: str = ""
    logo_url: str = ""

    def party(self, mailbox: str, name: str = "") -> Party:
        return Party(name or self.name, f"{mailbox}@{self.domain}")


OFFICE = Party("Atelier Moreau", "contact@office.test", phone="01 99 00 42 17")
OFFICE_STREET = "8 rue des Carmes, 45000 Orléans"
WEB_FORM = Party("Site web Atelier Moreau", "formulaire@office.test")

# Who signs the office's replies, and their role.
STAFF = (
    ("Sophie Girard", "Secrétariat"),
    ("Julien Moreau", "Gérant"),
    ("Karim Benali", "Chef de chantier"),
)
# Copied on answers to complaints: he goes and looks.
SITE_MANAGER = Party("Karim Benali", "k.benali@office.test")

CUSTOMERS = (
    Party(
        "Hélène Lefèvre",
        "helene.lefevre@example.org",
        latin1=True,
        phone="06 39 98 12 40",
        street="14 rue des Lilas, 45100 Orléans",
    ),
    Party(
        "Jean-Pierre Dupont",
        "jp.dupont@example.net",
        latin1=True,
        phone="06 39 98 31 07",
        street="3 allée des Peupliers, 45160 Olivet",
    ),
    Party(
        "Mathieu Roux",
        "mathieu.roux@example.com",
        phone="06 39 98 55 21",
        street="27 rue Bannier, 45000 Orléans",
    ),
    Party(
        "Camille Petit",
        "camille.petit@mail.example.net",
        phone="06 39 98 02 66",
        street="9 impasse du Moulin, 45650 Saint-Jean-le-Blanc",
    ),
    Party(
        "Nathalie Garnier",
        "n.garnier@example.org",
        phone="06 39 98 70 13",
        street="112 faubourg Madeleine, 45000 Orléans",
    ),
    Party(
        "Éric Faure",
        "eric.faure@example.com",
        phone="06 39 98 44 90",
        street="5 rue du Bourg, 45380 La Chapelle-Saint-Mesmin",
    ),
    Party(
        "Amélie Chevalier",
        "amelie.chevalier@example.net",
        phone="06 39 98 18 52",
        street="41 avenue Dauphine, 45100 Orléans",
    ),
    Party(
        "Thomas Lambert",
        "thomas.lambert@example.org",
        phone="06 39 98 61 34",
        street="2 place du Martroi, 45000 Orléans",
    ),
    Party(
        "Chloé Bonnet",
        "chloe.bonnet@example.com",
        phone="06 39 98 27 75",
        street="18 rue de la Gare, 45140 Saint-Jean-de-la-Ruelle",
    ),
    Party(
        "Gérard Mercier",
        "gerard.mercier@example.net",
        latin1=True,
        phone="06 39 98 93 08",
        street="7 chemin des Vignes, 45430 Chécy",
    ),
    Party(
        "Isabelle Fontaine",
        "isabelle.fontaine@example.org",
        phone="06 39 98 36 47",
        street="63 rue de Bourgogne, 45000 Orléans",
    ),
    Party(
        "Antoine Rousseau",
        "a.rousseau@example.com",
        phone="06 39 98 80 19",
        street="12 boulevard de Châteaudun, 45000 Orléans",
    ),
    Party(
        "Léa Vincent",
        "lea.vincent@mail.example.net",
        phone="06 39 98 14 58",
        street="30 rue des Hauts-Champs, 45160 Olivet",
    ),
    Party(
        "Olivier Masson",
        "olivier.masson@example.org",
        phone="06 39 98 67 02",
        street="4 rue du Parc, 45800 Saint-Jean-de-Braye",
    ),
    Party(
        "Sylvie Blanc",
        "sylvie.blanc@example.com",
        phone="06 39 98 49 81",
        street="22 rue Jeanne-d'Arc, 45000 Orléans",
    ),
    Party(
        "Bernard Guérin",
        "bernard.guerin@example.net",
        latin1=True,
        phone="06 39 98 05 36",
        street="15 route de Sandillon, 45650 Saint-Jean-le-Blanc",
    ),
    Party(
        "Maëlle Joly",
        "maelle.joly@example.org",
        phone="06 39 98 72 64",
        street="8 rue des Tanneurs, 45000 Orléans",
    ),
    Party(
        "Stéphane Perrin",
        "stephane.perrin@example.com",
        phone="06 39 98 39 25",
        street="51 rue de la Mouillère, 45100 Orléans",
    ),
    Party(
        "Aurélie Gauthier",
        "aurelie.gauthier@mail.example.net",
        phone="06 39 98 58 17",
        street="6 allée des Tilleuls, 45560 Saint-Denis-en-Val",
    ),
    Party(
        "François Lemaire",
        "francois.lemaire@example.org",
        phone="06 39 98 23 99",
        street="19 rue Croix-de-Bois, 45000 Orléans",
    ),
    Party(
        "Sarah Thompson",
        "sarah.thompson@example.com",
        lang="en",
        phone="06 39 98 91 40",
        street="10 rue de Recouvrance, 45000 Orléans",
    ),
    Party(
        "James O'Connor",
        "james.oconnor@example.net",
        lang="en",
        phone="06 39 98 46 73",
        street="33 quai du Châtelet, 45000 Orléans",
    ),
    Party(
        "Emily Clarke",
        "emily.clarke@example.org",
        lang="en",
        phone="06 39 98 68 21",
        street="2 rue des Pensées, 45160 Olivet",
    ),
    Party(
        "Peter van Dijk",
        "p.vandijk@example.com",
        lang="en",
        phone="06 39 98 17 84",
        street="45 route d'Olivet, 45100 Orléans",
    ),
    Party(
        "Laura Schmidt",
        "laura.schmidt@example.net",
        lang="en",
        phone="06 39 98 52 06",
        street="11 rue du Poirier, 45000 Orléans",
    ),
)

BUSINESS_CUSTOMERS = (
    Party(
        "Cabinet Syndic Loire – Résidence Les Tilleuls",
        "gestion@syndic-loire.example.com",
        phone="01 99 00 63 18",
        street="Résidence Les Tilleuls, 45100 Orléans",
    ),
    Party(
        "Agence Immobilière du Parc",
        "location@agence-parc.example.net",
        phone="01 99 00 27 51",
        street="90 avenue de Paris, 45000 Orléans",
    ),
    Party(
        "Boulangerie Martin",
        "boulangerie.martin@example.org",
        phone="01 99 00 84 33",
        street="1 rue de la Charpenterie, 45000 Orléans",
    ),
    Party(
        "SCI Les Glycines",
        "sci.glycines@example.com",
        phone="01 99 00 15 62",
        street="28 rue des Glycines, 45160 Olivet",
    ),
)

DISTRI_PLOMB = Company(
    "Distri-Plomb Centre",
    "distriplomb.example.com",
    "F",
    "https://cdn.distriplomb.example.com/img/logo-distriplomb.png",
)
MATERIAUX_GIRARD = Company("Matériaux Girard & Fils", "materiaux-girard.example.net", "MG")
CARRELAGES = Company("Carrelages du Val de Loire", "carrelages-vdl.example.org", "CVL")
THERMOCONFORT = Company("ThermoConfort Chaudières", "thermoconfort.example.com", "TC")
LOCAMAT = Company("LocaMat Location", "locamat.example.net", "LOC")
ASSURANCE = Company("Mutuelle des Artisans Assurances", "mutuelle-artisans.example.org", "MAA")
COMPTABLE = Company("Cabinet Renaud Expertise Comptable", "cabinet-renaud.example.com", "CR")
TELECOM = Company("Box Pro Télécom", "boxpro.example.net", "BP")
BANK = Company("Banque Exemple Pro", "banque-exemple.example.com")
TOWN_HALL = Company("Mairie d'Orléans – Service voirie", "voirie.ville.example.org")

SUPPLIERS = (DISTRI_PLOMB, MATERIAUX_GIRARD, CARRELAGES, THERMOCONFORT, LOCAMAT)
INVOICERS = (
    DISTRI_PLOMB,
    MATERIAUX_GIRARD,
    CARRELAGES,
    THERMOCONFORT,
    LOCAMAT,
    ASSURANCE,
    COMPTABLE,
    TELECOM,
)

BATINEWS = Company(
    "BatiNews",
    "batinews.example.net",
    logo_url="https://cdn.batinews.example.net/img/logo-batinews.png",
)
MAG_ARTISAN = Company(
    "Le Mag de l'Artisan",
    "mag-artisan.example.org",
    logo_url="https://static.mag-artisan.example.org/logo.png",
)
SALON = Company(
    "Salon Habitat & Rénovation",
    "salon-habitat.example.com",
    logo_url="https://salon-habitat.example.com/assets/logo-salon.png",
)
NEWSLETTERS = (BATINEWS, MAG_ARTISAN, SALON, DISTRI_PLOMB)

SPAMMERS = (
    Party("Service Client", "gagnant@promo-cadeau.invalid"),
    Party("Livraison Express", "suivi-colis@livraison-rapide.invalid"),
    Party("SEO Experts", "contact@referencement-top.invalid", lang="en"),
)
