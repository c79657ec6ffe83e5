# Conveniences; the scripts work without make.
.PHONY: demo test
demo:
	bash scripts/demo.sh
test:
	bash scripts/test.sh
