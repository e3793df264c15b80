"""The shopping bot: one per shop, on by default. ``engine.bot_respond`` reads a customer's
message and answers it; ``lexicon`` holds the words it understands in each language;
``matching`` finds products, variants and FAQ entries in what people write."""
