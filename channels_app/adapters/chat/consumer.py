"""The visitor's websocket, /ws/chat/?key=<public key> (docs/chat.md)."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

CLOSE_ORIGIN_REFUSED = 4403
CLOSE_UNKNOWN_CHANNEL = 4404


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()
        await self.close(code=CLOSE_UNKNOWN_CHANNEL)
