from django.contrib import admin

from plaza.orders.models import Fulfillment, Order, OrderEvent, OrderLine, Refund


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in OrderLine._meta.fields]


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in OrderEvent._meta.fields]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Read-only for operators: orders change only through the services."""

    list_display = ["number", "shop", "status", "total", "currency", "placed_at"]
    list_filter = ["status"]
    search_fields = ["number", "email"]
    list_select_related = ["shop"]
    inlines = [OrderLineInline, OrderEventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Fulfillment, Refund)
class ReadOnlyAdmin(admin.ModelAdmin):
    list_select_related = ["order"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
