"""A fixed, varied corpus for the parity test: single words, sentences, mixed case, Unicode and
emoji, punctuation only, numbers and code, and paragraphs longer than the model's 256 tokens.

Every text is distinct after lower-casing (the model is uncased), so no two texts tie exactly in a
ranking; the order of everything is fixed (a seeded shuffle).
"""

from __future__ import annotations

import random

SENTENCES = [
    "The cat curled up on the warm windowsill and purred all afternoon.",
    "Dogs need a long walk every morning to stay calm and healthy.",
    "A hawk circled above the field, watching for mice in the grass.",
    "Dolphins communicate with clicks and whistles under the water.",
    "The old elephant led the herd to the river during the dry season.",
    "Whisk the eggs with sugar until the mixture turns pale and fluffy.",
    "Simmer the tomato sauce for an hour with garlic, basil and olive oil.",
    "Bread dough must rest in a warm place until it doubles in size.",
    "A sharp knife makes chopping onions faster and safer.",
    "Fresh ginger gives the soup a warm and spicy flavour.",
    "Income tax brackets decide how much of each additional dollar is taxed.",
    "File your return before the deadline to avoid late penalties.",
    "Capital gains on shares held for over a year are taxed at a lower rate.",
    "The central bank raised interest rates to slow down inflation.",
    "Diversifying a portfolio spreads risk across many different assets.",
    "Rust prevents data races at compile time through ownership and borrowing.",
    "A Python list comprehension builds a new list from an iterable in one line.",
    "The garbage collector frees memory that no reference points to anymore.",
    "Unit tests catch regressions before the code reaches production.",
    "Git branches let several developers work on features at the same time.",
    "The telescope captured light from a galaxy billions of years old.",
    "Astronauts on the space station grow lettuce under red and blue lamps.",
    "A black hole bends light so strongly that nothing escapes its horizon.",
    "Mars has the tallest volcano in the solar system, Olympus Mons.",
    "The rocket's second stage separated and fired toward orbit.",
    "Regular exercise lowers blood pressure and improves sleep.",
    "Antibiotics do not work against viral infections such as the flu.",
    "The nurse measured the patient's temperature and heart rate.",
    "Vaccines train the immune system to recognise a pathogen.",
    "Drinking enough water helps the kidneys filter waste from the blood.",
    "The striker scored twice in the second half to win the cup final.",
    "Marathon runners train for months to build endurance.",
    "The tennis match went to a fifth set after four hours of play.",
    "Swimmers turn at the wall with a quick somersault to save time.",
    "The referee showed a red card after a dangerous tackle.",
    "The orchestra tuned their instruments before the symphony began.",
    "She practised the piano scales every evening for years.",
    "The band released a new album of quiet acoustic songs.",
    "Jazz musicians improvise solos over a repeating chord progression.",
    "The choir sang a hymn that echoed through the stone cathedral.",
    "The Roman Empire built roads that connected distant provinces.",
    "The printing press spread books and ideas across Europe.",
    "Castles were built on hills so defenders could see attackers coming.",
    "The treaty ended the war and redrew the borders of the region.",
    "Archaeologists found pottery shards buried beneath the old market.",
    "A cold front will bring heavy rain and strong winds tonight.",
    "Snow closed the mountain pass for most of the winter.",
    "The heatwave pushed temperatures above forty degrees for a week.",
    "Fog rolled in from the sea and covered the harbour by dawn.",
    "Tomatoes need full sun, rich soil and regular watering.",
    "Prune the roses in late winter before new growth appears.",
    "Compost turns kitchen scraps into food for the garden.",
    "The train from Vienna to Venice crosses the Alps through long tunnels.",
    "Pack light and keep your passport in an inside pocket when you travel.",
]

WORDS = [
    "cat",
    "mortgage",
    "telescope",
    "banana",
    "symphony",
    "volcano",
    "compiler",
    "vaccine",
    "goalkeeper",
    "thunderstorm",
    "cathedral",
    "passport",
    "avocado",
    "encryption",
    "glacier",
    "violin",
    "inflation",
    "skeleton",
    "bicycle",
    "parliament",
    "oxygen",
    "lighthouse",
    "keyboard",
    "harvest",
    "microscope",
    "tax",
    "poetry",
    "satellite",
    "penguin",
    "democracy",
]

MIXED_CASE = [
    "ThE QuIcK bRoWn FoX jUmPs OvEr ThE lAzY dOg",
    "NASA LAUNCHED A NEW WEATHER SATELLITE ON TUESDAY",
    "iPhone users Report Battery DRAIN after the Update",
    "the IRS AUDITS very FEW small businesses Each year",
    "PostgreSQL and MySQL Are Relational DATABASES",
    "mY gRaNdMoThEr BaKeS tHe BeSt ApPlE pIe",
    "WHO Declares End Of The Health EMERGENCY",
    "JavaScript PROMISES resolve ASYNCHRONOUSLY",
    "The UEFA Champions League FINAL sold OUT in Minutes",
    "eBay AND Amazon compete FOR online SHOPPERS",
    "Beethoven's NINTH Symphony premiered in VIENNA",
    "GPU prices FELL after the CRYPTO crash",
    "McDonald's opened ITS first Restaurant in 1940",
    "DNA carries GENETIC instructions For Living Organisms",
    "LOL that MEME is Hilarious",
]

UNICODE = [
    "Café crème brûlée à la française, très délicieux.",
    "Die Straße in München ist im Winter glatt und gefährlich.",
    "El niño comió paella en la playa de Valencia.",
    "Ελληνικά: η Ακρόπολη βρίσκεται στην Αθήνα.",
    "Москва — столица России, а Нева течёт через Петербург.",
    "東京は日本の首都で、人口がとても多いです。",
    "我喜欢在周末去公园散步和喝茶。",
    "서울의 봄에는 벚꽃이 아름답게 핍니다.",
    "مرحبا بكم في القاهرة، مدينة الألف مئذنة.",
    "नमस्ते, दिल्ली भारत की राजधानी है।",
    "Çok güzel bir gün, İstanbul'da boğaz manzarası.",
    "Zażółć gęślą jaźń — polskie znaki diakrytyczne.",
    "🚀🔥💯",
    "I ❤️ New York 🗽 and pizza 🍕",
    "Launch day 🚀: the rocket lifted off at 09:30 UTC ✅",
    "😂😂😂 that was so funny",
    "Weather today: ☀️ then 🌧️, take an ☂️",
    "Math symbols: ∑ ∫ √ ∞ ≠ ≤ ≥ π",
    "Currency: € 20, £ 15, ¥ 3000, ₹ 500",
    "Naïve coöperation at the façade of the résumé",
    "Smörgåsbord och kanelbullar i Stockholm",
    "Ünïcødé tèxt wïth äccënts everywhere",
    "ﬁnance ﬂow — ligatures and the ™ sign",
    "Zero\u200bwidth space and non\u00a0breaking space",
    "Ærøskøbing is a small town in Denmark",
]

PUNCTUATION = [
    "...",
    "?!?!",
    "—",
    "#$%^&*",
    "()[]{}",
    "!!!",
    ";:,.",
    "<<>>",
    "~~~ *** ~~~",
    "?",
]

TECHNICAL = [
    "def add(a, b): return a + b",
    "SELECT name, email FROM users WHERE active = 1 ORDER BY name;",
    "https://example.com/docs/install?version=2.1#linux",
    "Error 404: the requested page was not found on this server",
    "sudo apt-get install --no-install-recommends build-essential",
    "The invoice total is $1,284.50, due on 2024-03-15.",
    "Call +1 (555) 010-2030 between 9am and 5pm",
    "E = mc^2 relates mass and energy",
    "x = [i ** 2 for i in range(10) if i % 2 == 0]",
    "3.14159 26535 89793 23846",
    "user@example.org wrote: see ticket #4821",
    '{"key": "value", "count": 42, "ok": true}',
    "git commit -m 'fix race in cache eviction'",
    "Version 1.2.3-rc.1+build.5 released",
    "0xDEADBEEF 0b1010 0o755",
]

QUERIES = [
    "which pet likes to purr?",
    "how do I make a tomato pasta sauce",
    "when is my tax return due",
    "what does the central bank do about rising prices",
    "memory safety in systems programming languages",
    "how do developers collaborate on code",
    "distant galaxies seen through a telescope",
    "growing vegetables in space",
    "is it useful to take antibiotics for a cold",
    "how to train for a long running race",
    "football match decided in the last minutes",
    "learning to play a musical instrument",
    "improvised music",
    "ancient roads and empires",
    "stormy weather forecast tonight",
    "how to look after rose bushes",
    "travelling by rail through the mountains",
    "what to do with food waste at home",
    "spicy soup recipe",
    "how vaccines protect you",
    "birds of prey hunting rodents",
    "reducing investment risk",
    "capital of Japan",
    "emoji about rockets and launches",
]


def long_paragraphs(count: int, rng: random.Random) -> list[str]:
    """``count`` paragraphs of 22 to 30 sentences (about 290 to 400 tokens), each starting differently."""
    paragraphs = []
    for index in range(count):
        rest = [s for i, s in enumerate(SENTENCES) if i != index]
        body = rng.sample(rest, rng.randint(21, 29))
        paragraphs.append(" ".join([SENTENCES[index], *body]))
    return paragraphs


def short_passages(count: int, rng: random.Random) -> list[str]:
    """``count`` passages of two to four sentences."""
    return [" ".join(rng.sample(SENTENCES, rng.randint(2, 4))) for _ in range(count)]


def corpus() -> list[str]:
    """The parity corpus: about 230 distinct texts in a fixed order."""
    rng = random.Random(13)
    texts = [
        *WORDS,
        *SENTENCES,
        *MIXED_CASE,
        *UNICODE,
        *PUNCTUATION,
        *TECHNICAL,
        *long_paragraphs(30, rng),
        *short_passages(45, rng),
    ]
    rng.shuffle(texts)
    return list(dict.fromkeys(texts))
