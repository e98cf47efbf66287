"""The Transformers engine: native vision-language families through AutoModelForImageTextToText."""
