"""The English sample pages. Every organisation, place and figure is invented."""
from __future__ import annotations

from scripts.layout_samples.spec import (Columns, Page, absent, caption, footnote, formula, item, order, picture,
                                         present, section, table, text, title)

WATER_REPORT = Page(
    name="01_en_water_report", language="en", font="DejaVu Serif",
    header="Northfield Water Board · Quarterly Report, Third Quarter 2024",
    footer="Page 1 of 6",
    body=(
        title("Regional Water Supply: Quarterly Report"),
        section("1. Summary"),
        text("In the third quarter the Board supplied 4.82 million cubic metres of drinking water to the five "
             "districts of Northfield, 3.1 per cent more than in the second quarter. The increase came almost "
             "entirely from the dry weeks of August, when garden use doubled in the southern districts."),
        text("No supply interruption lasted longer than six hours. Two planned shutdowns, on Mill Road and in "
             "the Old Harbour area, were announced to residents at least five days in advance."),
        section("2. Consumption by district"),
        caption("Table 1. Water supplied by district, thousand cubic metres."),
        table("<table><tr><th rowspan=\"2\">District</th><th colspan=\"2\">Second quarter</th>"
              "<th colspan=\"2\">Third quarter</th></tr><tr><th>Homes</th><th>Business</th><th>Homes</th>"
              "<th>Business</th></tr><tr><td>Central</td><td>612</td><td>288</td><td>628</td><td>291</td></tr>"
              "<tr><td>Old Harbour</td><td>344</td><td>97</td><td>351</td><td>95</td></tr>"
              "<tr><td>Riverside</td><td>905</td><td>163</td><td>948</td><td>170</td></tr>"
              "<tr><td>South Hills</td><td>1 120</td><td>84</td><td>1 203</td><td>88</td></tr>"
              "<tr><td>Westgate</td><td>903</td><td>152</td><td>911</td><td>149</td></tr></table>"),
        section("3. Network losses"),
        text("Losses are measured as the share of water that enters the network but is not billed. The Board "
             "uses the following ratio, where the inflow and the billed volume are taken over the same quarter:"),
        formula(r"L = \frac{V_{\mathrm{in}} - V_{\mathrm{billed}}}{V_{\mathrm{in}}} \times 100\%"),
        text("The ratio fell from 14.6 to 13.9 per cent. The main improvements this quarter were:"),
        item("• replacement of 2.4 km of cast-iron mains in Riverside;"),
        item("• night-time pressure reduction in the three hillside zones;"),
        item("• a leak-detection survey of 180 km of pipes, which found 41 hidden leaks."),
        text("The Board expects the ratio to stay below 14 per cent for the rest of the year, provided that the "
             "winter is not unusually cold."),
    ),
    tests=(
        present("Regional Water Supply: Quarterly Report"),
        present("supplied 4.82 million cubic metres of drinking water", max_diffs=1),
        present("found 41 hidden leaks"),
        absent("supplied 4.28 million cubic metres"),
        absent("The ratio fell from 14.6 to 19.3 per cent"),
        order("1. Summary", "2. Consumption by district"),
        order("Table 1. Water supplied by district", "3. Network losses"),
        order("replacement of 2.4 km of cast-iron mains", "night-time pressure reduction"),
    ),
)

HEAT_NOTE = Page(
    name="03_en_heat_conduction", language="en", font="DejaVu Serif",
    header="Lecture Notes in Applied Physics · Note 7",
    footer="— 3 —",
    body=(
        title("Heat Conduction in a Thin Rod: A Worked Example"),
        text("This note follows one problem from the equation to numbers that can be checked with a "
             "thermometer. A thin metal rod of length L is insulated along its sides, so heat flows only along "
             "its axis, and both ends are held at zero degrees."),
        Columns(
            left=(
                section("1. The equation"),
                text("Let u(x, t) be the temperature at distance x from one end at time t. Conservation of "
                     "energy and Fourier's law give the heat equation"),
                formula(r"\frac{\partial u}{\partial t} = \alpha \frac{\partial^{2} u}{\partial x^{2}}"),
                text("where α is the thermal diffusivity of the metal. With both ends at zero, separation of "
                     "variables gives a sum of decaying sine waves:"),
                formula(r"u(x,t) = \sum_{n=1}^{\infty} b_{n} \sin\frac{n \pi x}{L} "
                        r"e^{-\alpha n^{2} \pi^{2} t / L^{2}}"),
            ),
            right=(
                section("2. How fast it cools"),
                text("Every term decays, and the first one decays slowest. After a short time the rod's "
                     "temperature profile is a single arch whose height halves in a fixed time."),
                text("For a rod 0.5 m long the half-time is about two and a half minutes for copper but more "
                     "than an hour for stainless steel, as the constants below suggest."),
                picture("11.6 9.7 2.3 0.4"),
                caption("Figure 1. Relative cooling rates of four metals."),
            ),
        ),
        caption("Table 1. Thermal constants at 20 °C."),
        table("<table><tr><th rowspan=\"2\">Metal</th><th colspan=\"3\">Property</th></tr><tr><th>Conductivity, "
              "W/(m·K)</th><th>Density, kg/m³</th><th>Diffusivity, mm²/s</th></tr><tr><td>Copper</td><td>401</td>"
              "<td>8 960</td><td>116</td></tr><tr><td>Aluminium</td><td>237</td><td>2 700</td><td>97</td></tr>"
              "<tr><td>Iron</td><td>80</td><td>7 870</td><td>23</td></tr><tr><td>Stainless steel</td><td>16</td>"
              "<td>8 000</td><td>4</td></tr></table>"),
        text("The diffusivity is the conductivity divided by the density and the specific heat capacity. A metal "
             "that conducts well but stores little heat per degree cools fastest.¹"),
        footnote("¹ The values are rounded; real alloys differ by several per cent."),
    ),
    tests=(
        present("Heat Conduction in a Thin Rod: A Worked Example"),
        present("where α is the thermal diffusivity of the metal"),
        present("Stainless steel"),
        absent("the half-time is about two and a half hours for copper"),
        order("1. The equation", "2. How fast it cools"),
        order("gives a sum of decaying sine waves", "Every term decays, and the first one decays slowest"),
        order("Figure 1. Relative cooling rates of four metals.", "Table 1. Thermal constants at 20 °C."),
    ),
)

KETTLE_MANUAL = Page(
    name="05_en_kettle_manual", language="en", font="DejaVu Sans",
    header="Brightwell Home Appliances · User Manual K-20",
    footer="K-20 User Manual · page 5",
    body=(
        title("Model K-20 Electric Kettle"),
        section("Technical specifications"),
        table("<table><tr><th>Parameter</th><th>Value</th></tr><tr><td>Rated voltage</td><td>220–240 V, 50 Hz</td>"
              "</tr><tr><td>Rated power</td><td>2 200 W</td></tr><tr><td>Capacity</td><td>1.7 l (minimum 0.5 l)"
              "</td></tr><tr><td>Weight</td><td>1.1 kg</td></tr><tr><td>Cable length</td><td>0.75 m</td></tr>"
              "</table>"),
        caption("Table 1. Specifications of the K-20."),
        section("Safety instructions"),
        item("1. Place the kettle on a dry, flat surface out of the reach of children."),
        item("2. Never fill the kettle above the MAX mark: boiling water may spill out of the spout."),
        item("3. Switch the kettle off and unplug it before you clean it or pour out the water."),
        section("How long it takes"),
        text("The time needed to bring water to the boil follows from the energy it must absorb. Heating a mass "
             "m of water by ΔT degrees at power P takes at least"),
        formula(r"t = \frac{c \, m \, \Delta T}{\eta P}"),
        text("where c = 4186 J/(kg·K) is the specific heat of water and η ≈ 0.9 is the kettle's efficiency*. A full "
             "kettle starting at 15 °C boils in about five minutes."),
        section("Troubleshooting"),
        table("<table><tr><th>Problem</th><th>Possible cause</th><th>What to do</th></tr><tr><td rowspan=\"2\">"
              "The kettle does not switch on</td><td>No power at the socket</td><td>Try another socket</td></tr>"
              "<tr><td>The kettle is empty</td><td>Fill above the MIN mark</td></tr><tr><td>The water tastes of "
              "scale</td><td>Limescale on the element</td><td>Descale with citric acid</td></tr></table>"),
        caption("Table 2. Common problems and their solutions."),
        footnote("* The efficiency depends on the amount of water and on the room temperature."),
    ),
    tests=(
        present("Model K-20 Electric Kettle"),
        present("Rated power"),
        present("Never fill the kettle above the MAX mark", max_diffs=1),
        absent("Rated power 2 000 W"),
        absent("1.5 l (minimum 0.5 l)"),
        order("Technical specifications", "Safety instructions"),
        order("Safety instructions", "Troubleshooting"),
        order("1. Place the kettle", "3. Switch the kettle off"),
    ),
)

PAGES = (WATER_REPORT, HEAT_NOTE, KETTLE_MANUAL)
