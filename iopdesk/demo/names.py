"""Invented people for demo data: first and last names of many origins, pronouns, phones, addresses.

Every name is drawn at random from the lists below, so no demo client or staff member is a real
person. The lists mix origins and spellings (accents and diacritics included, e.g. Zoë, José,
Nguyễn) so that search, sorting and printing meet real-world names. Words that are also common
English words (Hope, Long, Young, …) are left out on purpose: a test checks that no client name
appears in the text of a group session, and ordinary prose must not trip it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

FEMALE = (
    "Aaliyah Adaeze Aiko Alejandra Amara Anika Astrid Ayesha Beatriz Brianna Camila Chiamaka Chloé "
    "Daniela Divya Elena Eleni Fatima Fernanda Freya Gabriela Guadalupe Hana Hoa Ingrid Inés Isabela "
    "Jasmine Jessica Jia Joanna Kalani Katarzyna Kayla Keisha Lakshmi Latoya Leilani Linh Lucía "
    "Magdalena Mai Malia María Mariana Megan Mei Mirela Nadia Naledi Ngozi Nicole Nkechi Noor Oksana "
    "Olga Paloma Priya Rachel Rania Renée Sakura Samira Saoirse Shanice Siobhán Stephanie Svetlana "
    "Tamar Tatiana Valentina Wanjiru Ximena Yasmin Yesenia Yuki Zainab Zoë Zofia Ayana Heather"
).split()

MALE = (
    "Abdullah Adebayo Ahmed Aleksander Alejandro Andrés Arjun Björn Bongani Brandon Carlos Chidi "
    "Cody Cristian Darnell DeShawn Derek Dmitri Dustin Đức Emeka Enrique Ethan Farid François "
    "Giovanni Hamza Hiroshi Hyun-woo Ibrahim Ignacio Ivan Jamal Javier Jerome Jesús Joaquín Jorge "
    "José Juan Kenji Kevin Kwame Lars Luis Łukasz Malik Marcus Mateo Matías Mehmet Miguel Minh "
    "Mohammed Nikolai Obinna Olumide Omar Pablo Paolo Pedro Quang Rafael Rashid Ravi Rohan Santiago "
    "Sergio Søren Tariq Terrence Thabo Tomás Travis Tuấn Tyrone Vikram Wei Xavier Yusuf Zoltán"
).split()

NEUTRAL = (
    "Jordan Taylor Casey Riley Avery Quinn Rowan Sasha Kai Noa Emerson Dakota Morgan Jamie Reese "
    "Remy Frankie Alexis Devon Hayden Ariel Eden"
).split()

LAST = (
    "Abara Adeyemi Akhtar Al-Sayed Alvarez Andersson Banerjee Becker Bianchi Bondarenko Castillo "
    "Castro Chatterjee Chen Choi Contreras Cruz Đặng Delgado Dlamini Dubois Eriksen Espinoza "
    "Fernández Fitzgerald Flores Gallagher García Gonçalves González Gupta Haddad Halvorsen Haugen "
    "Hernández Herrera Horvath Ibarra Iyer Jablonski Jiménez Johansson Kaplan Kapoor Kawasaki Kim "
    "Kowalczyk Kowalski Kozlov Kuznetsova Lê Levy Lindqvist López Mahlangu Martínez McAllister "
    "Mendoza Mensah Moreau Morales Müller Murphy Nakamura Navarro Ndlovu Nguyễn Novak Nowak Nwosu "
    "O'Brien Okafor Okonkwo Oliveira Olsen Ortega Osei Owusu Papadopoulos Patel Pereira Petrov Phạm "
    "Popescu Quispe Ramírez Rao Reyes Robinson Rodríguez Romano Rossi Ruiz Saito Salazar Sánchez "
    "Santos Schmidt Shapiro Singh Sokolova Sorensen Suárez Sullivan Suzuki Svensson Tanaka Thompson "
    "Torres Trần Tshabalala Varga Vargas Vásquez Volkov Vũ Wang Watanabe Weber Wiśniewski Yamamoto "
    "Yılmaz Zhang Zhou Öztürk Çelik Mitchell Campbell Jackson Harris Washington"
).split()

NICKNAMES = {
    "Alejandro": "Alex", "Katarzyna": "Kasia", "Aleksander": "Olek", "Guadalupe": "Lupe",
    "Jesús": "Chuy", "Giovanni": "Gio", "Magdalena": "Magda", "Nikolai": "Kolya",
    "Santiago": "Santi", "Valentina": "Valen", "Terrence": "Terry", "Gabriela": "Gabi",
    "Zofia": "Zosia", "Tatiana": "Tanya", "Isabela": "Isa", "Rafael": "Rafa", "Jessica": "Jess",
    "Stephanie": "Steph", "Nicole": "Nikki", "Mohammed": "Mo", "Abdullah": "Abdi",
    "Oksana": "Oksi", "Cristian": "Cris", "Ignacio": "Nacho",
}

STREETS = (
    "Alder", "Birchwood", "Cedar", "Dogwood", "Elm", "Fairview", "Glenwood", "Harbor View",
    "Juniper", "Kestrel", "Lakeshore", "Maple", "Northgate", "Orchard", "Pinecrest", "Quarry",
    "Riverbend", "Sycamore", "Tamarack", "Upland", "Vista", "Willow", "Yarrow",
)
STREET_KINDS = ("Street", "Avenue", "Road", "Lane", "Court", "Drive", "Way", "Place")
TOWNS = ("Riverside", "Eastgate", "Marlow Heights", "Cedar Point", "Port Alden", "Fairhaven")
AREA_CODES = ("503", "971", "360", "541")


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    sex: str
    pronouns: str
    gender_identity: str

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


def phone(rng: random.Random) -> str:
    """A fictional number: 555-0100 to 555-0199 is reserved for fiction in every area code."""
    return f"({rng.choice(AREA_CODES)}) 555-01{rng.randrange(100):02d}"


def address(rng: random.Random) -> str:
    unit = f", Apt {rng.randrange(1, 40)}" if rng.random() < 0.25 else ""
    return (
        f"{rng.randrange(100, 9900)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}{unit}, "
        f"{rng.choice(TOWNS)}"
    )


def person(rng: random.Random, *, sex: str | None = None, last: str | None = None) -> Person:
    """A random adult: sex F/M/X with matching first name, pronouns and gender identity."""
    if sex is None:
        roll = rng.random()
        sex = "F" if roll < 0.47 else "M" if roll < 0.96 else "X"
    if sex == "X":
        return Person(rng.choice(NEUTRAL), last or rng.choice(LAST), "X", "they/them", "nonbinary")
    pool = FEMALE if sex == "F" else MALE
    first = rng.choice(NEUTRAL) if rng.random() < 0.04 else rng.choice(pool)
    roll = rng.random()
    if roll < 0.93:
        pronouns = "she/her" if sex == "F" else "he/him"
        identity = ""
    elif roll < 0.97:
        pronouns = "she/they" if sex == "F" else "he/they"
        identity = ""
    else:
        pronouns = "she/her" if sex == "F" else "he/him"
        identity = "transgender woman" if sex == "F" else "transgender man"
    return Person(first, last or rng.choice(LAST), sex, pronouns, identity)


def preferred_name(rng: random.Random, first: str) -> str:
    """A nickname for some clients (blank for most)."""
    if first in NICKNAMES and rng.random() < 0.6:
        return NICKNAMES[first]
    return ""


def client_names() -> tuple[str, ...]:
    """Every name a demo client can carry (for tests that look for names in text)."""
    return tuple(FEMALE + MALE + NEUTRAL + LAST + list(NICKNAMES.values()))
