<?xml version="1.0" encoding="UTF-8"?>
<!--
  Readable view of an invoice for the portal's invoice page: its lines (BG-25), VAT breakdown
  (BG-23), document totals (BG-22), notes (BG-1), payment terms and due date (BT-20, BT-9) and
  payment means (BG-16), in UBL 2.1 (Invoice, CreditNote) and UN/CEFACT CII (also the CII inside
  Factur-X), one union per term as in xslt/envelope.xsl (only one syntax matches a document).
  Bindings: EN 16931-1 terms, EN 16931-3-2 (UBL) and 3-3 (CII) syntax bindings.

  Run by edi_gateway/web/portal/invoice_view.py (XSLT 1.0, lxml); output:
    <invoice>
      <line id="BT-126" name="BT-153" item="BT-155" quantity="BT-129" unit="BT-130"
            price="BT-146" net="BT-131" vat-category="BT-151" vat-rate="BT-152"/> ...
      <vat category="BT-118" rate="BT-119" base="BT-116" amount="BT-117" reason="BT-120"/> ...
      <totals lines="BT-106" allowances="BT-107" charges="BT-108" without-vat="BT-109"
              vat="BT-110" with-vat="BT-112" prepaid="BT-113" due="BT-115"/>
      <note>BT-22</note> ... <terms>BT-20</terms> <due-date>BT-9</due-date>
      <payment means="BT-81" account="BT-84"/>
    </invoice>
  Nothing is computed here: values are those of the document, shown as written.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:inv="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    xmlns:cn="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
    xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
    exclude-result-prefixes="inv cn cac cbc rsm ram udt">

  <xsl:output method="xml" encoding="UTF-8"/>

  <xsl:variable name="ubl" select="/inv:Invoice | /cn:CreditNote"/>
  <xsl:variable name="cii-tx" select="/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction"/>
  <xsl:variable name="cii-settlement" select="$cii-tx/ram:ApplicableHeaderTradeSettlement"/>

  <xsl:template match="/">
    <invoice>
      <!-- BG-25 Invoice line -->
      <xsl:for-each select="$ubl/cac:InvoiceLine | $ubl/cac:CreditNoteLine">
        <xsl:variable name="qty" select="cbc:InvoicedQuantity | cbc:CreditedQuantity"/>
        <line id="{cbc:ID}" name="{cac:Item/cbc:Name}"
              item="{cac:Item/cac:SellersItemIdentification/cbc:ID}"
              quantity="{$qty}" unit="{$qty/@unitCode}" price="{cac:Price/cbc:PriceAmount}"
              net="{cbc:LineExtensionAmount}"
              vat-category="{cac:Item/cac:ClassifiedTaxCategory/cbc:ID}"
              vat-rate="{cac:Item/cac:ClassifiedTaxCategory/cbc:Percent}"/>
      </xsl:for-each>
      <xsl:for-each select="$cii-tx/ram:IncludedSupplyChainTradeLineItem">
        <xsl:variable name="qty" select="ram:SpecifiedLineTradeDelivery/ram:BilledQuantity"/>
        <xsl:variable name="tax" select="ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax"/>
        <line id="{ram:AssociatedDocumentLineDocument/ram:LineID}"
              name="{ram:SpecifiedTradeProduct/ram:Name}"
              item="{ram:SpecifiedTradeProduct/ram:SellerAssignedID}"
              quantity="{$qty}" unit="{$qty/@unitCode}"
              price="{ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount}"
              net="{ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount}"
              vat-category="{$tax/ram:CategoryCode}" vat-rate="{$tax/ram:RateApplicablePercent}"/>
      </xsl:for-each>
      <!-- BG-23 VAT breakdown -->
      <xsl:for-each select="$ubl/cac:TaxTotal/cac:TaxSubtotal">
        <vat category="{cac:TaxCategory/cbc:ID}" rate="{cac:TaxCategory/cbc:Percent}"
             base="{cbc:TaxableAmount}" amount="{cbc:TaxAmount}"
             reason="{cac:TaxCategory/cbc:TaxExemptionReason}"/>
      </xsl:for-each>
      <xsl:for-each select="$cii-settlement/ram:ApplicableTradeTax">
        <vat category="{ram:CategoryCode}" rate="{ram:RateApplicablePercent}"
             base="{ram:BasisAmount}" amount="{ram:CalculatedAmount}"
             reason="{ram:ExemptionReason}"/>
      </xsl:for-each>
      <!-- BG-22 Document totals -->
      <xsl:for-each select="$ubl/cac:LegalMonetaryTotal">
        <totals lines="{cbc:LineExtensionAmount}" allowances="{cbc:AllowanceTotalAmount}"
                charges="{cbc:ChargeTotalAmount}" without-vat="{cbc:TaxExclusiveAmount}"
                vat="{../cac:TaxTotal[cac:TaxSubtotal][1]/cbc:TaxAmount}"
                with-vat="{cbc:TaxInclusiveAmount}" prepaid="{cbc:PrepaidAmount}"
                due="{cbc:PayableAmount}"/>
      </xsl:for-each>
      <xsl:for-each select="$cii-settlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation">
        <totals lines="{ram:LineTotalAmount}" allowances="{ram:AllowanceTotalAmount}"
                charges="{ram:ChargeTotalAmount}" without-vat="{ram:TaxBasisTotalAmount}"
                vat="{ram:TaxTotalAmount[1]}"
                with-vat="{ram:GrandTotalAmount}" prepaid="{ram:TotalPrepaidAmount}"
                due="{ram:DuePayableAmount}"/>
      </xsl:for-each>
      <!-- BG-1 Invoice note (BT-22) -->
      <xsl:for-each select="$ubl/cbc:Note | /rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:IncludedNote/ram:Content">
        <note><xsl:value-of select="."/></note>
      </xsl:for-each>
      <!-- BT-20 Payment terms, BT-9 Payment due date -->
      <xsl:for-each select="($ubl/cac:PaymentTerms/cbc:Note | $cii-settlement/ram:SpecifiedTradePaymentTerms/ram:Description)[1]">
        <terms><xsl:value-of select="."/></terms>
      </xsl:for-each>
      <xsl:for-each select="($ubl/cbc:DueDate | $cii-settlement/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString)[1]">
        <due-date><xsl:value-of select="."/></due-date>
      </xsl:for-each>
      <!-- BG-16 Payment instructions: BT-81 means code, BT-84 account -->
      <xsl:for-each select="($ubl/cac:PaymentMeans | $cii-settlement/ram:SpecifiedTradeSettlementPaymentMeans)[1]">
        <payment means="{cbc:PaymentMeansCode | ram:TypeCode}"
                 account="{cac:PayeeFinancialAccount/cbc:ID | ram:PayeePartyCreditorFinancialAccount/ram:IBANID}"/>
      </xsl:for-each>
    </invoice>
  </xsl:template>
</xsl:stylesheet>
