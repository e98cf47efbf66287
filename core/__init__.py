"""What each front end does, without Gradio: documents in, runs over the model pool, scores, exports.

The app's tabs (ui/), the benchmark (benchmarks/) and the command line all call this layer; it calls the pool
(backends/) and never imports gradio, ui or benchmarks.
"""
