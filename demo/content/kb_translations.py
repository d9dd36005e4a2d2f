# ruff: noqa: E501 (long demo sentences read better unbroken)
"""English translations of some demo articles: pt-BR slug -> (slug, title, summary, body)."""

TRANSLATIONS_EN = {
    "como-acompanhar-meu-pedido": (
        "track-my-order",
        "How to track my order",
        "Under My account > My orders you see the status and the tracking code.",
        "1. Sign in to **My account**.\n2. Open **My orders** and pick the order.\n3. The tracking code shows as soon as the carrier picks the parcel up.\n\nEvery status change also reaches you by email and, if you allowed it, on WhatsApp.",
    ),
    "como-cancelar-um-pedido": (
        "cancel-an-order",
        "How to cancel an order",
        "You can cancel on the site while the order has not shipped; after that, refuse the delivery or ask for a return.",
        "## Before it ships\n\n1. In **My orders**, open the order.\n2. Click **Cancel order** and choose a reason.\n3. The cancellation is confirmed by email at once.\n\n## After it ships\n\nA shipped order cannot be cancelled. You can **refuse the delivery** or return it within 7 days of receiving it.\n\nRefunds follow the payment method: Pix and boleto within 5 business days; credit cards within two statements.",
    ),
    "prazo-de-entrega": (
        "delivery-time",
        "Delivery time",
        "The delivery time shows in the cart and counts business days from payment approval.",
        "It depends on the postcode and the option chosen (Standard or Express). It starts **after the payment is approved**: Pix and cards are approved within minutes; a boleto within 3 business days.",
    ),
    "pedido-atrasado": (
        "late-order",
        "My order is late",
        "Check the tracking and the delivery time in business days; if it has passed, contact us.",
        "1. Check whether the delivery time has passed: it counts **business days** from payment approval.\n2. Look at the tracking in **My orders**.\n3. If the time has passed and the tracking has not moved for 3 business days, open a request: we chase the carrier and, if the parcel is lost, send another or refund you.",
    ),
    "como-trocar-um-produto": (
        "exchange-a-product",
        "How to exchange a product",
        "Exchanges within 30 days of delivery, unused and in the original packaging.",
        "1. In **My orders**, click **Exchange or return**.\n2. Choose the item and the reason.\n3. Use the prepaid label we email you (the first exchange is free).\n\nOnce the product arrives and is checked, we ship the new item.",
    ),
    "direito-de-arrependimento": (
        "change-of-mind",
        "Changing your mind within 7 days",
        "You may withdraw within 7 days of delivery, free of charge and without giving a reason.",
        "Brazilian consumer law (CDC, art. 49) gives you 7 calendar days from delivery. Ask for the return in **My orders > Exchange or return**. The refund is in full, shipping included.",
    ),
    "pagamento-com-pix": (
        "paying-with-pix",
        "Paying with Pix",
        "Pix is approved within seconds and the code is valid for 30 minutes.",
        "At checkout choose **Pix**. Scan the QR code in your bank's app or use **Pix copy and paste**. The code expires after 30 minutes; the order is then cancelled and you can buy again.",
    ),
    "pagamento-com-cartao": (
        "credit-cards",
        "Credit cards and instalments",
        "Up to 10 interest-free instalments on credit cards.",
        "We accept Visa, Mastercard, Elo, American Express and Hipercard, in up to **10 interest-free instalments** (minimum R$ 30 each).",
    ),
    "nota-fiscal": (
        "invoice",
        "How to get the invoice (nota fiscal)",
        "The electronic invoice (NF-e) is emailed when the order ships and stays in My orders.",
        "We issue the **NF-e** when the order ships. You receive the PDF (DANFE) and the XML by email and can download them at any time in **My orders > Invoice**.",
    ),
    "esqueci-minha-senha": (
        "forgot-password",
        "I forgot my password",
        "Use Forgot password on the sign-in page, or sign in with a link sent to your email.",
        "1. On the sign-in page, click **Forgot password**.\n2. Enter your account's email.\n3. Open the link we send (valid for 30 minutes) and choose a new password.\n\nFor your security, the page says the same whatever email is typed.",
    ),
}
