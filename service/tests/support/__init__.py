"""Test and benchmark helpers: real Redis servers, an embeddings stub, PDF generation."""
