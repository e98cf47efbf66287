"""The synthetic layout sample pages: their content (pages_en, pages_ru), its types (spec) and the HTML they become
(html). scripts/make_layout_samples.py renders them."""
