"""Built-in word lists for generated studios: names (most common first), places, domains."""

LAST_NAMES = """
Smith Johnson Williams Brown Jones García Miller Davis Rodríguez Martínez Hernández López González Wilson
Anderson Thomas Taylor Moore Jackson Martin Lee Pérez Thompson White Harris Sánchez Clark Ramírez Lewis
Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall
Rivera Campbell Mitchell Carter Roberts Gómez Phillips Evans Turner Díaz Parker Cruz Edwards Collins Reyes
Stewart Morris Morales Murphy Cook Rogers Gutiérrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard
Ramos Kim Cox Ward Richardson Watson Brooks Chávez Wood James Bennett Gray Mendoza Ruiz Hughes Price
Alvarez Castillo Sanders Patel Myers Long Ross Foster Jiménez Powell Jenkins Perry Russell Sullivan Bell
Coleman Butler Henderson Barnes Gonzales Fisher Vásquez Simmons Romero Jordan Patterson Alexander Hamilton
Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar
Stevens Murray Ford Castro Marshall Owens Harrison Fernández McDonald Woods Washington Kennedy Wells
Vargas Henry Chen Freeman Webb Tucker Guzmán Burns Crawford Olson Simpson Porter Hunter Gordon Mendez
Silva Shaw Snyder Mason Dixon Muñoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone
Salazar Fox Warren Mills Meyer Rice Schmidt García-Lopez Ferguson Nichols Herrera Weaver O'Brien Müller
Schneider Kowalski Novak Rossi Bianchi Dubois Lefèvre Andersson Johansson Nielsen Jensen Hansen Larsen
Okafor Mensah Abara Yamamoto Tanaka Suzuki Sato Watanabe Park Choi Singh Kumar Shah Khan Ali Haddad
MacLeod McKenzie Fitzgerald Van Dyke De la Cruz St. John
""".split()

# Multi-word surnames above got split; put the ones we want back together.
LAST_NAMES = [n for n in LAST_NAMES if n not in ("Van", "Dyke", "De", "la", "St.", "John")]
LAST_NAMES = list(dict.fromkeys(LAST_NAMES + ["Van Dyke", "De la Cruz", "St. John"]))

FEMALE_FIRST = """
Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Sandra Margaret
Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie Dorothy Rebecca Sharon Laura
Cynthia Amy Kathleen Angela Shirley Brenda Emma Anna Pamela Nicole Samantha Katherine Christine Helen
Debra Rachel Carolyn Janet Maria Catherine Heather Diane Olivia Julie Joyce Victoria Ruth Virginia Lauren
Kelly Christina Joan Evelyn Judith Andrea Hannah Megan Cheryl Jacqueline Martha Madison Teresa Gloria Sara
Janice Ann Kathryn Abigail Sophia Frances Jean Alice Judy Isabella Julia Grace Amber Denise Danielle
Marilyn Beverly Charlotte Natalie Theresa Diana Brittany Doris Kayla Alexis Lori Marie Zoë Chloé Renée
Ava Mia Harper Ella Avery Scarlett Aria Lily Zoey Nora Riley Layla Penelope Aubrey Camila Luna Sofía
""".split()

MALE_FIRST = """
James Robert John Michael David William Richard Joseph Thomas Christopher Charles Daniel Matthew Anthony
Mark Donald Steven Andrew Paul Joshua Kenneth Kevin Brian George Timothy Ronald Jason Edward Jeffrey Ryan
Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Alexander
Patrick Frank Raymond Jack Dennis Jerry Tyler Aaron Jose Adam Nathan Henry Zachary Douglas Peter Kyle
Noah Ethan Jeremy Christian Walter Keith Austin Roger Terry Sean Gerald Carl Dylan Harold Jordan Jesse
Bryan Lawrence Arthur Gabriel Bruce Logan Billy Joe Alan Juan Elijah Willie Albert Wayne Randy Mason
Vincent Liam Roy Bobby Caleb Bradley Russell Lucas Oliver Elias Mateo Luca Théo José André Jürgen
""".split()

SALUTATIONS = ["Mr.", "Ms.", "Mrs.", "Dr.", "Miss"]

EMAIL_DOMAINS = ["gmail.com"] * 8 + ["yahoo.com"] * 3 + ["outlook.com"] * 2 + [
    "hotmail.com", "icloud.com", "aol.com", "comcast.net", "proton.me", "me.com", "live.com"]

# city, region, ZIP prefix, area codes
PLACES = [
    ("Springfield", "IL", "627", ["217", "447"]), ("Madison", "WI", "537", ["608"]),
    ("Portland", "OR", "972", ["503", "971"]), ("Austin", "TX", "787", ["512", "737"]),
    ("Columbus", "OH", "432", ["614", "380"]), ("Raleigh", "NC", "276", ["919", "984"]),
    ("Boise", "ID", "837", ["208", "986"]), ("Omaha", "NE", "681", ["402", "531"]),
    ("Burlington", "VT", "054", ["802"]), ("Albany", "NY", "122", ["518", "838"]),
    ("Tucson", "AZ", "857", ["520"]), ("Savannah", "GA", "314", ["912"]),
    ("Fort Collins", "CO", "805", ["970"]), ("Ann Arbor", "MI", "481", ["734"]),
    ("Lexington", "KY", "405", ["859"]), ("Santa Rosa", "CA", "954", ["707"]),
    ("Providence", "RI", "029", ["401"]), ("Spokane", "WA", "992", ["509"]),
]

STREETS = """Main Oak Maple Cedar Pine Elm Washington Lake Hill Park Walnut Sunset Lincoln Jackson Highland
Church Willow Meadow River Forest Spring Ridge Center Mill Chestnut Franklin Cherry Valley Prospect""".split()
STREET_KINDS = ["St", "Ave", "Rd", "Ln", "Dr", "Ct", "Blvd", "Way", "Pl"]

GROUPS = ["Seniors 2027", "Newborn club", "Weddings", "Schools", "VIP", "Mailing list", "Holiday minis",
          "Sports teams"]
ORGANIZATIONS = ["Lincoln High School", "St. Mary's Parish", "Riverside Little League",
                 "Oakwood Elementary", "Northside Dance Academy", "Valley Swim Club", "First Baptist Church",
                 "Hillcrest Middle School", "Cedar Park Soccer", "Maple Grove Montessori"]

NOTES = [
    "Prefers morning sessions.", "Referred by a friend from church.", "Wants outdoor portraits in the fall.",
    "Allergic to lilies - no flowers in the studio.", "Ask about the family package next year.",
    "Paid the deposit in cash.", "Bring the dog to the next session.", "Grandparents also order prints.",
    "Likes black and white.", "Needs wheelchair access.",
]
CALL_WARNINGS = ["Call the mobile only after 5 pm.", "Do not call at work.", "Hard of hearing: speak up.",
                 "Spanish preferred."]

# The long tail: surnames made of two parts ("Ashford", "Whitmore", "Blackwell", ...). A real
# studio's clients have thousands of distinct last names; the list above covers about the
# most common 30%, as the census's most common few hundred do.
SURNAME_HEADS = """Ash Black Brad Brook Chad Clay Crom Dal Dun Earn Fair Fern Gold Green Hal Hart Hay Hol
Kings Lang Lin Mar Mid New Nor Oak Pem Ral Red Ring Rock Rud Sand Shel Stan Stock Sum Thorn Tre Wald
War Wes Whit Win Wood Brant Cal Cars Craw Dor Elling Fitz Gar Hamp Hux Kil Lock Mont Pres Quil""".split()
SURNAME_TAILS = """ford well more ton ley field wood worth by dale mont ridge stone wick shaw combe land
bury ham ing croft hurst man son den burn""".split()
TAIL_LAST_NAMES = sorted({(head + tail).capitalize() for head in SURNAME_HEADS for tail in SURNAME_TAILS
                          if head[-1] != tail[0]} - set(LAST_NAMES))
COMMON_LAST_NAME_SHARE = 0.3
