"""Hugging Face Text Generation Inference's own wire format (`{"inputs", "parameters"}` bodies, its
generate answers and generate_stream SSE events), read and written for the providers that serve TGI
containers behind their own endpoints (SageMaker's `sagemaker/`)."""
