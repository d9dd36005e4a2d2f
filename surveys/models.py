"""Models of this app arrive with its issue; the design (DESIGN.md) already places them."""
