"""OpenAI's chat wire at URLs a data row cannot describe: each module here is one provider whose
endpoint is built from its settings or its model string (DataRobot, DigitalOcean Gradient, RAGFlow)."""
