"""The embedded CPU engines on real pages: accuracy, boxes, image modes and honest availability."""
import pytest
from PIL import Image, ImageDraw, ImageFont

from backends.contracts.requests import EngineOutput, PageRequest
from backends.config import ConfigError, parse_config
from backends.contracts.schema import ModelEntry
from core.documents import load_image
from backends.registry import availability, create_engine
from core.metrics import cer
from tests.conftest import PHOTOTEST, PHOTOTEST_GT, SAMPLES

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def engine_for(config, key):
    engine = create_engine(config.get(key))
    engine.load()
    return engine


def read(engine, image: Image.Image) -> EngineOutput:
    outputs = list(engine.stream(PageRequest(image)))
    assert len(outputs) == 1 and isinstance(outputs[0], EngineOutput)
    return outputs[0]


@pytest.fixture(scope="module")
def tesseract(config):
    engine = engine_for(config, "tesseract")
    yield engine
    engine.unload()


@pytest.fixture(scope="module")
def rapidocr(config):
    engine = engine_for(config, "rapidocr")
    yield engine
    engine.unload()


@pytest.fixture(scope="module")
def phototest():
    return load_image(PHOTOTEST), PHOTOTEST_GT.read_text(encoding="utf-8")


def test_tesseract_reads_phototest_almost_perfectly(tesseract, phototest):
    image, truth = phototest
    assert cer(truth, read(tesseract, image).text) < 0.05


def test_rapidocr_reads_phototest(rapidocr, phototest):
    image, truth = phototest
    assert cer(truth, read(rapidocr, image).text) < 0.05  # measured 0.0


@pytest.mark.parametrize("engine_name", ["tesseract", "rapidocr"])
def test_line_boxes_lie_inside_the_page_and_cover_the_text(request, engine_name, phototest):
    image, truth = phototest
    output = read(request.getfixturevalue(engine_name), image)
    assert len(output.boxes) >= 7  # the page has 8 lines
    for box in output.boxes:
        assert 0 <= box.x0 < box.x1 <= image.width and 0 <= box.y0 < box.y1 <= image.height
        assert 0.0 <= box.confidence <= 1.0 and box.text
    assert cer(truth, " ".join(b.text for b in output.boxes)) < 0.05


def render_line(text: str, size: int = 40) -> Image.Image:
    font = ImageFont.truetype(DEJAVU, size)
    image = Image.new("RGB", (int(font.getlength(text)) + 60, size * 2), "white")
    ImageDraw.Draw(image).text((30, size // 2), text, font=font, fill="black")
    return image


def test_tesseract_reads_russian(tesseract):
    line = "Водительское удостоверение выдано 12.07.2019, ГИБДД Фёдор"
    assert cer(line, read(tesseract, render_line(line)).text) < 0.05


def test_tesseract_reads_a_synthetic_licence(tesseract):
    image = load_image(SAMPLES / "ru_licences" / "images" / "licence_01.png")
    truth = (SAMPLES / "ru_licences" / "gt" / "licence_01.gt.txt").read_text(encoding="utf-8")
    assert cer(truth, read(tesseract, image).text) < 0.06  # measured 0.020


@pytest.mark.parametrize("mode", ["1", "L", "P", "RGBA", "CMYK", "I;16"])
def test_every_image_mode_is_read(tesseract, rapidocr, mode):
    line = "The quick brown fox 1234"
    image = render_line(line).convert(mode)
    for engine in (tesseract, rapidocr):
        assert cer(line, read(engine, image).text) < 0.1, (engine.key, mode)


def test_a_blank_page_is_empty_text_not_an_error(tesseract, rapidocr):
    blank = Image.new("RGB", (400, 300), "white")
    for engine in (tesseract, rapidocr):
        output = read(engine, blank)
        assert output.text == "" and output.boxes == []


def test_missing_language_data_is_unavailable_with_an_install_hint():
    entry = ModelEntry(key="t", name="T", engine="tesseract", options={"lang": "rus+xyz"})
    status = availability(entry)
    assert not status.ok
    assert "xyz.traineddata" in status.reason
    assert "apt-get install tesseract-ocr-xyz" in status.hint


def test_unknown_option_is_a_config_error_naming_model_and_field():
    raw = {"models": [{"key": "fast", "name": "Fast", "engine": "rapidocr", "options": {"max_sidee": 900}}]}
    with pytest.raises(ConfigError, match=r"models\[0\] \(key 'fast'\)\.options\.max_sidee"):
        parse_config(raw)
